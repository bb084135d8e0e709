"""The Booking aggregate decides which moves are legal, audits each, and asks for payments."""

from datetime import timedelta

import pytest

from bookiji_core import Actor, ActorType, Booking, BookingState, Interval, Money, PaymentAction
from bookiji_core.errors import Forbidden, IllegalTransition
from bookiji_core.values import BookingId, CustomerId, QuoteId, VendorId
from tests.unit.conftest import NOW

VENDOR = Actor(ActorType.VENDOR, "v1")
CUSTOMER = Actor(ActorType.CUSTOMER, "c1")
ADMIN = Actor(ActorType.ADMIN, "a1")


def placed() -> Booking:
    return Booking.place(
        booking_id=BookingId("bk_1"),
        quote_id=QuoteId("q_1"),
        customer_id=CustomerId("c1"),
        vendor_id=VendorId("v1"),
        interval=Interval.starting(NOW + timedelta(hours=2), 60),
        price=Money("CAD", 4500),
        commitment_fee=Money("CAD", 100),
        payment_method="pm_card_visa",
        confirm_within=timedelta(minutes=15),
        now=NOW,
    )


def actions(booking: Booking) -> list[PaymentAction]:
    return [c.action for c in booking.new_commands]


def test_placing_a_booking_holds_the_slot_audits_and_requests_the_hold() -> None:
    booking = placed()
    assert booking.state is BookingState.HOLD_PLACED
    assert booking.hold_expires_at == NOW + timedelta(minutes=15)
    assert [(e.from_state, e.to_state, e.action) for e in booking.new_audit] == [
        (BookingState.QUOTED, BookingState.HOLD_PLACED, "confirm")
    ]
    assert actions(booking) == [PaymentAction.PLACE_HOLD]


def test_vendor_confirm_in_time_moves_on_and_requests_capture() -> None:
    booking = placed()
    booking.confirm_by_provider(VENDOR, NOW + timedelta(minutes=5))
    assert booking.state is BookingState.PROVIDER_CONFIRMED
    assert actions(booking) == [PaymentAction.PLACE_HOLD, PaymentAction.CAPTURE]


def test_another_vendor_cannot_confirm_someone_elses_booking() -> None:
    with pytest.raises(Forbidden):
        placed().confirm_by_provider(Actor(ActorType.VENDOR, "v2"), NOW)


def test_vendor_confirm_after_the_deadline_is_refused() -> None:
    with pytest.raises(IllegalTransition):
        placed().confirm_by_provider(VENDOR, NOW + timedelta(minutes=15))


def test_cancel_before_vendor_confirms_releases_the_hold_not_a_refund() -> None:
    booking = placed()
    booking.cancel(CUSTOMER, NOW, "changed my mind")
    assert booking.state is BookingState.CANCELLED
    assert actions(booking)[-1] is PaymentAction.RELEASE
    assert booking.new_audit[-1].reason == "changed my mind"


def test_cancel_after_vendor_confirmed_is_illegal() -> None:
    booking = placed()
    booking.confirm_by_provider(VENDOR, NOW)
    with pytest.raises(IllegalTransition):
        booking.cancel(CUSTOMER, NOW, "too late")


def test_auto_cancel_happens_only_once_the_deadline_passed() -> None:
    booking = placed()
    assert not booking.auto_cancel_if_due(NOW + timedelta(minutes=14))
    assert booking.auto_cancel_if_due(NOW + timedelta(minutes=15))
    assert booking.state is BookingState.CANCELLED
    assert booking.new_audit[-1].actor_type is ActorType.SYSTEM
    assert actions(booking) == [PaymentAction.PLACE_HOLD, PaymentAction.RELEASE]
    assert not booking.auto_cancel_if_due(NOW + timedelta(hours=1))


def test_rollback_of_a_confirmed_booking_refunds_and_needs_an_admin() -> None:
    booking = placed()
    booking.confirm_by_provider(VENDOR, NOW)
    with pytest.raises(Forbidden):
        booking.roll_back(CUSTOMER, NOW, "oops")
    booking.roll_back(ADMIN, NOW, "incident 42")
    assert booking.state is BookingState.REFUNDED
    assert actions(booking)[-1] is PaymentAction.REFUND


def test_each_payment_command_gets_its_own_deterministic_idempotency_key() -> None:
    booking = placed()
    booking.confirm_by_provider(VENDOR, NOW)
    keys = [c.idempotency_key for c in booking.new_commands]
    assert keys == ["bookiji:bk_1:place_hold:1", "bookiji:bk_1:capture:2"]
