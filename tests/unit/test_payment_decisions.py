"""One module decides each payment: the call a command still needs, its key, and what the
provider's answer means for the booking and the ledger."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bookiji_core import BookingState, Money, PaymentAction, PaymentStatus
from bookiji_core.payment_decisions import (
    GatewayStep,
    PaymentCommand,
    answer,
    call_key,
    plan_call,
    refused,
)
from bookiji_core.payments import IntentStatus, IntentView
from bookiji_core.values import BookingId
from tests.unit.conftest import NOW
from tests.unit.test_booking_lifecycle import ADMIN, CUSTOMER, VENDOR, placed

BK = BookingId("bk_1")
FEE = Money("CAD", 100)


def command(action: PaymentAction, sequence: int = 2) -> PaymentCommand:
    return PaymentCommand(BK, action, FEE, sequence)


def intent(
    status: IntentStatus, captured: int = 0, refunded: int = 0, id: str = "pi_1"
) -> IntentView:
    return IntentView(id, BK, status, FEE, captured, refunded)


HOLD = intent(IntentStatus.REQUIRES_CAPTURE)
CAPTURED = intent(IntentStatus.SUCCEEDED, captured=100)
REFUNDED = intent(IntentStatus.SUCCEEDED, captured=100, refunded=100)
RELEASED = intent(IntentStatus.CANCELED)


@pytest.mark.parametrize(
    ("action", "step", "key"),
    [
        (PaymentAction.PLACE_HOLD, GatewayStep.PLACE_HOLD, "bookiji:bk_1:place_hold:2"),
        (PaymentAction.PLACE_HOLD, GatewayStep.CANCEL, "bookiji:bk_1:place_hold:2:cancel"),
        (PaymentAction.CAPTURE, GatewayStep.CAPTURE, "bookiji:bk_1:capture:2"),
        (PaymentAction.CAPTURE, GatewayStep.CANCEL, "bookiji:bk_1:capture:2:cancel"),
        (PaymentAction.CAPTURE, GatewayStep.REFUND, "bookiji:bk_1:capture:2:refund"),
        (PaymentAction.RELEASE, GatewayStep.CANCEL, "bookiji:bk_1:release:2"),
        (PaymentAction.RELEASE, GatewayStep.REFUND, "bookiji:bk_1:release:2:refund"),
        (PaymentAction.REFUND, GatewayStep.REFUND, "bookiji:bk_1:refund:2"),
        (PaymentAction.REFUND, GatewayStep.CANCEL, "bookiji:bk_1:refund:2:cancel"),
    ],
)
def test_every_call_keeps_the_idempotency_key_stored_data_already_has(
    action: PaymentAction, step: GatewayStep, key: str
) -> None:
    assert call_key(command(action), step) == key


def test_a_refund_gets_its_commands_key_and_gives_back_the_whole_capture() -> None:
    partly_refunded = intent(IntentStatus.SUCCEEDED, captured=100, refunded=30)
    call = plan_call(command(PaymentAction.REFUND, 3), partly_refunded, booking_active=False)
    assert (call.step, call.key, call.amount) == (
        GatewayStep.REFUND,
        "bookiji:bk_1:refund:3",
        Money("CAD", 70),
    )


def test_a_release_of_a_hold_captured_meanwhile_becomes_a_refund_under_a_derived_key() -> None:
    call = plan_call(command(PaymentAction.RELEASE), CAPTURED, booking_active=False)
    assert (call.step, call.key) == (GatewayStep.REFUND, "bookiji:bk_1:release:2:refund")


def test_a_hold_placed_for_a_booking_that_is_over_is_released_not_kept() -> None:
    call = plan_call(command(PaymentAction.PLACE_HOLD, 1), HOLD, booking_active=False)
    assert (call.step, call.key) == (GatewayStep.CANCEL, "bookiji:bk_1:place_hold:1:cancel")
    assert plan_call(command(PaymentAction.PLACE_HOLD, 1), None, booking_active=False).step is (
        GatewayStep.NOTHING
    )


def test_a_capture_for_a_cancelled_booking_becomes_a_release() -> None:
    call = plan_call(command(PaymentAction.CAPTURE), HOLD, booking_active=False)
    assert (call.step, call.key) == (GatewayStep.CANCEL, "bookiji:bk_1:capture:2:cancel")
    assert plan_call(command(PaymentAction.CAPTURE), HOLD, booking_active=True).step is (
        GatewayStep.CAPTURE
    )


def test_a_capture_without_a_hold_is_impossible_and_says_why() -> None:
    call = plan_call(command(PaymentAction.CAPTURE), None, booking_active=True)
    assert call.step is GatewayStep.IMPOSSIBLE
    assert call.refusal == "cannot capture an intent in state no hold"
    assert (
        "state canceled"
        in plan_call(command(PaymentAction.CAPTURE), RELEASED, booking_active=True).refusal
    )


def test_an_answer_already_seen_asks_for_nothing() -> None:
    call = plan_call(command(PaymentAction.CAPTURE), CAPTURED, booking_active=True)
    assert call.step is GatewayStep.NOTHING


def test_the_captured_fee_of_a_confirmed_booking_earns_the_receipt_and_its_ledger_entries() -> None:
    booking = placed()
    booking.settle(answer(booking.payment_facts, HOLD, NOW), VENDOR, NOW)
    booking.confirm_by_provider(VENDOR, NOW + timedelta(minutes=1))
    move = answer(booking.payment_facts, CAPTURED, NOW)
    assert move.reached(PaymentStatus.CAPTURED) and move.issue_receipt
    assert [e.key for e in move.ledger] == ["hold:pi_1", "capture:pi_1"]
    assert booking.settle(move, VENDOR, NOW)
    assert booking.state is BookingState.RECEIPT_ISSUED


def test_a_rollback_refunded_at_the_provider_is_reported_as_refunded() -> None:
    booking = placed()
    booking.settle(answer(booking.payment_facts, HOLD, NOW), VENDOR, NOW)
    booking.confirm_by_provider(VENDOR, NOW)
    booking.settle(answer(booking.payment_facts, CAPTURED, NOW), VENDOR, NOW)
    booking.roll_back(ADMIN, NOW, "test")
    move = answer(booking.payment_facts, REFUNDED, NOW)
    assert move.reached(PaymentStatus.REFUNDED)
    assert not answer(booking.payment_facts, REFUNDED, NOW).reached(PaymentStatus.FAILED)


def test_a_fee_captured_after_a_failure_on_a_booking_that_is_over_is_given_back() -> None:
    booking = placed()
    booking.cancel(CUSTOMER, NOW, "changed my mind")
    booking.payment_status = PaymentStatus.FAILED
    booking.new_commands.clear()
    move = answer(booking.payment_facts, CAPTURED, NOW)
    assert (move.status, move.give_back) == (PaymentStatus.REFUND_PENDING, PaymentAction.REFUND)
    booking.settle(move, VENDOR, NOW)
    assert [c.idempotency_key for c in booking.new_commands] == ["bookiji:bk_1:refund:3"]


def test_an_answer_about_a_stray_intent_moves_nothing_but_is_still_ledgered() -> None:
    booking = placed()
    booking.settle(answer(booking.payment_facts, HOLD, NOW), VENDOR, NOW)
    stray = intent(IntentStatus.SUCCEEDED, captured=100, id="pi_2")
    move = answer(booking.payment_facts, stray, NOW)
    assert not move.changed and not booking.settle(move, VENDOR, NOW)
    assert [e.key for e in move.ledger] == ["hold:pi_2", "capture:pi_2"]


def test_no_intent_at_the_provider_settles_the_pending_release_of_a_booking_that_is_over() -> None:
    booking = placed()
    assert not answer(booking.payment_facts, None, NOW).changed  # still on: a hold may come
    booking.cancel(CUSTOMER, NOW, "changed my mind")
    move = answer(booking.payment_facts, None, NOW)
    assert move.reached(PaymentStatus.RELEASED) and move.ledger == ()


def test_a_hold_refused_for_good_fails_the_payment_and_cancels_the_booking() -> None:
    booking = placed()
    move = refused(booking.payment_facts, PaymentAction.PLACE_HOLD)
    assert move.reached(PaymentStatus.FAILED) and move.cancel_booking
    booking.settle(move, VENDOR, NOW, "card declined")
    assert booking.state is BookingState.CANCELLED
    assert (booking.new_audit[-1].action, booking.new_audit[-1].reason) == (
        "payment_failed",
        "card declined",
    )
    assert not refused(booking.payment_facts, PaymentAction.CAPTURE).cancel_booking
