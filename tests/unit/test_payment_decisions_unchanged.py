"""The payment rules moved into payment_decisions behave exactly as before the move.

The reference below is the code of commit 2249a4b (`Booking.apply_payment`,
`apply_no_intent`, `payment_failed`, `next_payment_step` and the relay's key derivation),
kept verbatim in substance: any booking, any provider view, both give the same booking."""

from __future__ import annotations

from datetime import timedelta

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from bookiji_core import Actor, Booking, BookingState, Money, PaymentAction, PaymentStatus
from bookiji_core.payment_decisions import (
    GatewayStep,
    PaymentCommand,
    answer,
    next_step,
    plan_call,
    refused,
)
from bookiji_core.payments import IntentStatus, IntentView
from bookiji_core.values import BookingId
from tests.unit.conftest import NOW
from tests.unit.test_booking_lifecycle import placed

LATER = NOW + timedelta(minutes=1)
ACTOR = Actor.system("test")


def old_give_back(b: Booking, intent: IntentView) -> None:
    if intent.is_live_hold:
        b.payment_status = PaymentStatus.RELEASE_PENDING
        b._request(PaymentAction.RELEASE)
    elif intent.net_captured > 0:
        b.payment_status = PaymentStatus.REFUND_PENDING
        b._request(PaymentAction.REFUND)


def old_apply_payment(b: Booking, intent: IntentView, now) -> bool:  # type: ignore[no-untyped-def]
    if b.payment_intent_id is None:
        if not intent.was_held:
            return False
        b.payment_intent_id = intent.id
        if b.payment_status is PaymentStatus.HOLD_PENDING:
            b.payment_status = PaymentStatus.HELD
        elif b.payment_status is PaymentStatus.RELEASED and not b.is_active:
            old_give_back(b, intent)
        b.updated_at = now
        old_apply_payment(b, intent, now)
        return True
    if intent.id != b.payment_intent_id:
        return False
    before = status = b.payment_status
    if status is PaymentStatus.CAPTURE_PENDING and intent.amount_captured > 0:
        b.payment_status = PaymentStatus.CAPTURED
        if b.state is BookingState.PROVIDER_CONFIRMED:
            b.issue_receipt(ACTOR, now)
    elif status is PaymentStatus.FAILED and intent.net_captured > 0:
        if b.is_active:
            b.payment_status = PaymentStatus.CAPTURED
            if b.state is BookingState.PROVIDER_CONFIRMED:
                b.issue_receipt(ACTOR, now)
        else:
            old_give_back(b, intent)
    elif status is PaymentStatus.RELEASE_PENDING and intent.status == "canceled":
        b.payment_status = PaymentStatus.RELEASED
    elif (
        status in (PaymentStatus.RELEASE_PENDING, PaymentStatus.REFUND_PENDING)
        and intent.amount_captured > 0
        and intent.net_captured == 0
    ):
        b.payment_status = PaymentStatus.REFUNDED
    elif status is PaymentStatus.REFUND_PENDING and intent.status == "canceled":
        b.payment_status = PaymentStatus.RELEASED
    if b.payment_status is not before:
        b.updated_at = now
        return True
    return False


def old_apply_no_intent(b: Booking, now) -> bool:  # type: ignore[no-untyped-def]
    if b.is_active or b.payment_intent_id is not None:
        return False
    if b.payment_status not in (PaymentStatus.RELEASE_PENDING, PaymentStatus.REFUND_PENDING):
        return False
    b.payment_status = PaymentStatus.RELEASED
    b.updated_at = now
    return True


def old_payment_failed(b: Booking, action: PaymentAction, reason: str, now) -> None:  # type: ignore[no-untyped-def]
    b.payment_status = PaymentStatus.FAILED
    b.updated_at = now
    if action is PaymentAction.PLACE_HOLD and b.state in (
        BookingState.HOLD_PLACED,
        BookingState.PROVIDER_CONFIRMED,
    ):
        b._move(BookingState.CANCELLED, "payment_failed", Actor.system("payments"), reason, now)


def old_call(command: PaymentCommand, active: bool, intent: IntentView | None):  # type: ignore[no-untyped-def]
    action = command.action
    if not active and action in (PaymentAction.PLACE_HOLD, PaymentAction.CAPTURE):
        action = PaymentAction.RELEASE
    step = next_step(action, intent)
    key = command.idempotency_key
    if step in (GatewayStep.PLACE_HOLD, GatewayStep.CAPTURE, GatewayStep.NOTHING):
        return step, key
    if step is GatewayStep.IMPOSSIBLE:
        return step, None
    own = {PaymentAction.RELEASE: GatewayStep.CANCEL, PaymentAction.REFUND: GatewayStep.REFUND}
    return step, key if step is own.get(command.action) else f"{key}:{step}"


def intents() -> st.SearchStrategy[IntentView]:
    return st.builds(
        IntentView,
        id=st.sampled_from(["pi_1", "pi_2"]),
        booking_id=st.just(BookingId("bk_1")),
        status=st.sampled_from(list(IntentStatus)),
        amount=st.just(Money("CAD", 100)),
        amount_captured=st.sampled_from([0, 100]),
        amount_refunded=st.sampled_from([0, 30, 100]),
    )


def bookings() -> st.SearchStrategy[Booking]:
    return st.builds(
        lambda state, status, intent_id, seq: attrs.evolve(
            placed(),
            state=state,
            payment_status=status,
            payment_intent_id=intent_id,
            payment_sequence=seq,
        ),
        st.sampled_from(list(BookingState)),
        st.sampled_from(list(PaymentStatus)),
        st.sampled_from([None, "pi_1"]),
        st.integers(1, 4),
    )


def seen(b: Booking):  # type: ignore[no-untyped-def]
    return (
        b.state,
        b.payment_status,
        b.payment_intent_id,
        b.updated_at,
        list(b.new_audit),
        list(b.new_commands),
    )


@settings(max_examples=300, deadline=None)
@given(bookings(), st.none() | intents())
def test_an_answer_moves_any_booking_exactly_as_before(booking: Booking, intent) -> None:  # type: ignore[no-untyped-def]
    booking.new_audit.clear()
    booking.new_commands.clear()
    old = attrs.evolve(booking, new_audit=[], new_commands=[])
    if intent is None:
        old_changed = old_apply_no_intent(old, LATER)
    else:
        old_changed = old_apply_payment(old, intent, LATER)
    changed = booking.settle(answer(booking.payment_facts, intent, LATER), ACTOR, LATER)
    assert (changed, seen(booking)) == (old_changed, seen(old))


@settings(max_examples=200, deadline=None)
@given(bookings(), st.sampled_from(list(PaymentAction)))
def test_a_refusal_moves_any_booking_exactly_as_before(booking: Booking, action) -> None:  # type: ignore[no-untyped-def]
    booking.new_audit.clear()
    booking.new_commands.clear()
    old = attrs.evolve(booking, new_audit=[], new_commands=[])
    old_payment_failed(old, action, "refused", LATER)
    booking.settle(
        refused(booking.payment_facts, action), Actor.system("payments"), LATER, "refused"
    )
    assert seen(booking) == seen(old)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(list(PaymentAction)),
    st.integers(1, 9),
    st.booleans(),
    st.none() | intents(),
)
def test_every_call_and_its_key_are_as_the_relay_derived_them_before(  # type: ignore[no-untyped-def]
    action, sequence, active, intent
) -> None:
    command = PaymentCommand(BookingId("bk_1"), action, Money("CAD", 100), sequence)
    call = plan_call(command, intent, booking_active=active)
    step, key = old_call(command, active, intent)
    assert call.step is step
    if key is not None:
        assert call.key == key
