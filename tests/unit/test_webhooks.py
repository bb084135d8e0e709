"""Stripe webhooks are verified, applied once, and read the intent back instead of trusting it."""

from __future__ import annotations

import itertools
import json

import pytest

from bookiji_adapters.simcity import Fault
from bookiji_adapters.stripe.webhooks import signature_header, verified_event
from bookiji_core import BookingState, PaymentStatus
from bookiji_core.errors import WebhookSignatureInvalid
from bookiji_core.ledger import LedgerKind
from bookiji_core.webhooks import WebhookOutcome
from tests.payments_world import SECRET, PaymentWorld, SimulatedCrash, crash_at


@pytest.fixture
def world() -> PaymentWorld:
    return PaymentWorld()


def test_a_webhook_moves_the_booking_before_the_relay_records_its_result(
    world: PaymentWorld,
) -> None:
    booking_id = world.book()
    with pytest.raises(SimulatedCrash):
        world.relay(checkpoint=crash_at("after_gateway")).run_once()
    assert world.gateway.deliver_due() == 1

    assert world.outcomes == [WebhookOutcome.SUCCESS]
    assert world.booking(booking_id).payment_status is PaymentStatus.HELD
    world.settle()  # the relay's retry finds the hold already there
    assert [e.kind for e in world.ledger(booking_id)] == [LedgerKind.HOLD]
    assert len(world.gateway.effects) == 1


def test_a_webhook_redelivered_three_times_is_skipped_not_charged(world: PaymentWorld) -> None:
    booking_id = world.book()
    world.settle()
    world.vendor_confirms(booking_id)
    world.relay().run_once()
    world.gateway.pending.clear()  # forget the hold's event; keep the capture's
    world.gateway.deliver_due()
    capture_event = world.gateway.delivered[-1]
    for _ in range(3):
        world.receive_webhook(
            capture_event.payload,
            signature_header(capture_event.payload, SECRET, int(world.now.timestamp())),
        )

    assert world.outcomes[-3:] == [WebhookOutcome.IDEMPOTENT_SKIP] * 3
    assert world.telemetry.webhook("idempotent_skip") == 3
    assert world.booking(booking_id).state is BookingState.RECEIPT_ISSUED
    assert [e.operation for e in world.gateway.effects] == ["place_hold", "capture"]


def test_webhooks_in_any_order_leave_the_booking_in_the_same_state() -> None:
    finals = set()
    for order in itertools.permutations([0, 1, 0]):  # hold, capture, the hold's duplicate
        world = PaymentWorld()
        booking_id = world.book()
        world.vendor_confirms(booking_id)
        # The provider acts, but no relay result is recorded: only webhooks tell the booking.
        intent = world.gateway.place_hold(
            world.booking(booking_id).commitment_fee, "pm_card_visa", booking_id, "k-hold"
        )
        world.gateway.capture(intent.id, "k-capture")
        events = list(world.gateway.pending)
        world.gateway.pending.clear()
        for index in order:
            world.gateway.pending.append(events[index])
            world.gateway.deliver(len(world.gateway.pending) - 1)
        booking = world.booking(booking_id)
        world.settle()  # the relay then finds nothing left to do
        finals.add(
            (
                booking.state,
                booking.payment_status,
                tuple(e.kind for e in world.ledger(booking_id)),
                len(world.gateway.effects),
            )
        )
    assert finals == {
        (
            BookingState.RECEIPT_ISSUED,
            PaymentStatus.CAPTURED,
            (LedgerKind.HOLD, LedgerKind.CAPTURE),
            2,
        )
    }


def test_a_late_stale_event_cannot_move_a_booking_backwards(world: PaymentWorld) -> None:
    booking_id = world.book()
    world.relay().run_once()
    hold_event = world.gateway.pending.pop(0)  # delayed past everything that follows
    world.customer_cancels(booking_id)
    world.settle()
    world.gateway.pending.append(hold_event)
    world.gateway.deliver(len(world.gateway.pending) - 1)

    booking = world.booking(booking_id)
    assert booking.payment_status is PaymentStatus.RELEASED
    assert world.outcomes[-1] == WebhookOutcome.SUCCESS


def test_a_bad_signature_is_refused_and_changes_nothing(world: PaymentWorld) -> None:
    booking_id = world.book()
    world.relay().run_once()
    event = world.gateway.pending[0]
    now = int(world.now.timestamp())
    forged = signature_header(event.payload, "whsec_wrong", now)
    tampered = json.dumps({**json.loads(event.payload), "type": "x"}).encode()

    for payload, header in [
        (event.payload, forged),
        (tampered, signature_header(event.payload, SECRET, now)),
        (event.payload, None),
        (event.payload, "t=abc,v1=00"),
    ]:
        with pytest.raises(WebhookSignatureInvalid):
            verified_event(payload, header, SECRET, now=now)
    with world.storage.unit_of_work() as uow:
        assert uow.webhook_inbox.get(event.event_id) is None
    assert world.booking(booking_id).payment_status is PaymentStatus.HELD


def test_a_signature_older_than_five_minutes_is_refused(world: PaymentWorld) -> None:
    world.book()
    world.relay().run_once()
    event = world.gateway.pending[0]
    signed_at = int(world.now.timestamp())
    header = signature_header(event.payload, SECRET, signed_at)

    assert verified_event(event.payload, header, SECRET, now=signed_at + 300).id == event.event_id
    with pytest.raises(WebhookSignatureInvalid):
        verified_event(event.payload, header, SECRET, now=signed_at + 301)


def test_a_provider_failure_while_reading_counts_a_failure_and_leaves_the_event_for_retry(
    world: PaymentWorld,
) -> None:
    booking_id = world.book()
    with pytest.raises(SimulatedCrash):
        world.relay(checkpoint=crash_at("after_gateway")).run_once()
    world.gateway.inject(Fault.GATEWAY_502, operation="retrieve")
    world.gateway.deliver(0, keep=True)
    assert world.outcomes == ["failed: payment_retryable"]
    assert world.telemetry.webhook("failure") == 1

    world.gateway.deliver(0)  # Stripe's retry
    assert world.outcomes[-1] == WebhookOutcome.SUCCESS
    assert world.booking(booking_id).payment_status is PaymentStatus.HELD
