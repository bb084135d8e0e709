"""The outbox relay delivers each payment command once in effect, whatever fails around it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bookiji_adapters.simcity import Fault
from bookiji_core import (
    Actor,
    ActorType,
    BookingId,
    BookingState,
    OutboxState,
    PaymentAction,
    PaymentStatus,
)
from bookiji_core.ledger import LedgerKind
from bookiji_core.payments import backoff_delay, retry_delay
from bookiji_core.usecases import OutboxRelay, drain_dlq, outbox_status, set_paused
from tests.payments_world import CONFIRM_WITHIN, PaymentWorld, SimulatedCrash, crash_at


@pytest.fixture
def world() -> PaymentWorld:
    return PaymentWorld()


def one_effect_per_key(world: PaymentWorld) -> bool:
    return all(n == 1 for n in world.gateway.effects_per_key().values())


def test_a_confirmed_booking_gets_its_hold_placed_once_and_recorded(world: PaymentWorld) -> None:
    booking_id = world.book()
    report = world.relay().run_once()

    booking = world.booking(booking_id)
    assert report.committed == 1
    assert booking.payment_status is PaymentStatus.HELD
    assert booking.payment_intent_id is not None
    assert [e.kind for e in world.ledger(booking_id)] == [LedgerKind.HOLD]
    assert [e.operation for e in world.gateway.effects] == ["place_hold"]
    assert world.gateway.effects[0].idempotency_key == f"bookiji:{booking_id}:place_hold:1"
    assert [m.state for m in world.messages(booking_id)] == [OutboxState.COMMITTED]


def test_vendor_confirm_captures_the_hold_and_issues_the_receipt(world: PaymentWorld) -> None:
    booking_id = world.book()
    world.settle()
    world.vendor_confirms(booking_id)
    world.settle()

    booking = world.booking(booking_id)
    assert booking.state is BookingState.RECEIPT_ISSUED
    assert booking.payment_status is PaymentStatus.CAPTURED
    assert [e.kind for e in world.ledger(booking_id)] == [LedgerKind.HOLD, LedgerKind.CAPTURE]
    assert world.gateway.retrieve(booking.payment_intent_id or "").net_captured == 100


def test_a_cancel_after_the_hold_releases_it(world: PaymentWorld) -> None:
    booking_id = world.book()
    world.settle()
    world.customer_cancels(booking_id)
    world.settle()

    booking = world.booking(booking_id)
    assert (booking.state, booking.payment_status) == (
        BookingState.CANCELLED,
        PaymentStatus.RELEASED,
    )
    assert world.gateway.retrieve(booking.payment_intent_id or "").status == "canceled"


def test_a_cancel_before_the_hold_went_out_places_no_hold_at_all(world: PaymentWorld) -> None:
    booking_id = world.book()
    world.customer_cancels(booking_id)
    world.settle()

    assert world.gateway.effects == []
    assert all(m.state is OutboxState.COMMITTED for m in world.messages(booking_id))


def test_auto_cancel_after_the_deadline_releases_the_hold(world: PaymentWorld) -> None:
    booking_id = world.book()
    world.settle()
    world.clock.advance(CONFIRM_WITHIN)
    assert world.auto_cancel() == [booking_id]
    world.settle()

    booking = world.booking(booking_id)
    assert booking.payment_status is PaymentStatus.RELEASED
    assert [e.kind for e in world.ledger(booking_id)] == [LedgerKind.HOLD, LedgerKind.RELEASE]


def test_502s_are_retried_after_1_then_2_seconds_and_charge_exactly_once(
    world: PaymentWorld,
) -> None:
    booking_id = world.book()
    world.gateway.inject(Fault.GATEWAY_502, operation="place_hold", times=2)
    relay = world.relay()
    delays = []
    for _ in range(2):
        start = world.now
        assert relay.run_once().retried == 1
        (message,) = world.messages(booking_id)
        delays.append((message.next_attempt_at - start).total_seconds())
        world.clock.set(message.next_attempt_at)
    assert relay.run_once().committed == 1

    assert 1 <= delays[0] <= 1.25 and 2 <= delays[1] <= 2.5
    assert len(world.gateway.effects) == 1
    assert world.messages(booking_id)[0].attempts == 3
    assert world.telemetry.counts[("outbox", "place_hold", "retry")] == 2


def test_backoff_doubles_with_a_bounded_jitter_that_replays_identically() -> None:
    for attempt in range(1, 8):
        base = backoff_delay(attempt).total_seconds()
        delay = retry_delay("bookiji:bk_1:capture:2", attempt).total_seconds()
        assert base <= delay <= base * 1.25
        assert delay == retry_delay("bookiji:bk_1:capture:2", attempt).total_seconds()
    assert retry_delay("k", 30) == timedelta(seconds=300)


def test_a_timeout_after_the_hold_went_through_does_not_hold_twice(world: PaymentWorld) -> None:
    booking_id = world.book()
    world.gateway.inject(Fault.TIMEOUT_AFTER_EFFECT, operation="place_hold")
    world.settle()

    assert world.booking(booking_id).payment_status is PaymentStatus.HELD
    assert len(world.gateway.all_intents()) == 1
    assert one_effect_per_key(world)


def test_a_relay_that_dies_after_the_gateway_call_is_taken_over_once_its_lease_expires(
    world: PaymentWorld,
) -> None:
    booking_id = world.book()
    with pytest.raises(SimulatedCrash):
        world.relay("doomed", checkpoint=crash_at("after_gateway")).run_once()
    (message,) = world.messages(booking_id)
    assert message.state is OutboxState.IN_FLIGHT

    other = world.relay("survivor")
    assert other.run_once().claimed == 0  # the lease still stands
    world.clock.advance(timedelta(seconds=31))
    assert other.run_once().committed == 1

    assert world.booking(booking_id).payment_status is PaymentStatus.HELD
    assert len(world.gateway.all_intents()) == 1
    assert one_effect_per_key(world)


def test_a_relay_whose_lease_was_taken_over_does_not_commit(world: PaymentWorld) -> None:
    booking_id = world.book()
    late = world.relay("late")

    def stall(step: str) -> None:
        if step == "after_gateway":  # the first relay stalls past its lease; another takes over
            world.clock.advance(timedelta(seconds=31))
            assert world.relay("fresh").run_once().committed == 1

    stalled = world.relay("stalled", checkpoint=stall)
    report = stalled.run_once()

    assert report.lost_lease == 1 and report.committed == 0
    assert late.run_once().claimed == 0
    assert [m.state for m in world.messages(booking_id)] == [OutboxState.COMMITTED]
    assert one_effect_per_key(world)


def test_the_heartbeat_keeps_the_lease_while_the_provider_is_slow(world: PaymentWorld) -> None:
    for _ in range(3):
        world.book()
    world.gateway._sleep = lambda seconds: world.clock.advance(timedelta(seconds=seconds))
    world.gateway.rates.slow = 1.0
    world.gateway.rates.slow_seconds = 20  # within the caller's timeout, but most of a lease
    world.gateway.rates.timeout_seconds = 60
    stolen = []

    def rival(step: str) -> None:
        if step == "before_gateway":
            stolen.append(world.relay("rival").run_once().claimed)

    report = world.relay("slow", checkpoint=rival).run_once()

    assert report.committed == 3 and report.lost_lease == 0
    assert stolen == [0, 0, 0]


def test_a_declined_card_fails_the_payment_frees_the_slot_and_stays_out_of_the_dlq(
    world: PaymentWorld,
) -> None:
    booking_id = world.book(payment_method="pm_card_chargeDeclined")
    report = world.relay().run_once()

    booking = world.booking(booking_id)
    assert (report.declined, report.dead) == (1, 0)
    assert (booking.state, booking.payment_status) == (
        BookingState.CANCELLED,
        PaymentStatus.FAILED,
    )
    assert not booking.is_active  # the vendor's time is free again
    (message,) = world.messages(booking_id)
    assert message.state is OutboxState.COMMITTED
    assert "card_declined" in (message.last_error or "")
    assert outbox_status(world.storage.unit_of_work()).dlq_depth == 0
    assert world.telemetry.counts[("outbox", "place_hold", "declined")] == 1


def test_a_permanent_refusal_that_is_not_a_decline_still_needs_a_person(
    world: PaymentWorld,
) -> None:
    booking_id = world.book(payment_method="card_typed_by_hand")
    report = world.relay().run_once()

    assert (report.declined, report.dead) == (0, 1)
    (message,) = world.messages(booking_id)
    assert message.state is OutboxState.DLQ
    assert "resource_missing" in (message.last_error or "")
    assert outbox_status(world.storage.unit_of_work()).dlq_depth == 1


def test_retries_stop_in_the_dlq_after_the_last_attempt(world: PaymentWorld) -> None:
    booking_id = world.book()
    world.gateway.rates.gateway_502 = 1.0
    world.settle()

    (message,) = world.messages(booking_id)
    assert message.state is OutboxState.DLQ
    assert message.attempts == message.max_attempts
    assert world.booking(booking_id).payment_status is PaymentStatus.HOLD_PENDING
    assert outbox_status(world.storage.unit_of_work()).dlq_depth == 1


def test_a_drained_dlq_is_retried_and_delivers(world: PaymentWorld) -> None:
    booking_id = world.book()
    world.gateway.rates.gateway_502 = 1.0
    world.settle()
    world.gateway.rates.gateway_502 = 0.0
    progress: list[tuple[int, int]] = []

    drained = drain_dlq(
        world.storage.unit_of_work(), world.clock, progress=lambda *p: progress.append(p)
    )
    world.settle()

    assert len(drained) == 1 and progress == [(1, 1)]
    assert world.booking(booking_id).payment_status is PaymentStatus.HELD
    assert [m.state for m in world.messages(booking_id)] == [OutboxState.COMMITTED]


def test_a_hold_redriven_a_day_later_finds_the_hold_its_first_attempt_placed(
    world: PaymentWorld,
) -> None:
    """The drain resets the attempts, and the provider forgets a key after 24 h: the redriven
    message must still look for the hold (its first attempt timed out after placing it, its
    webhook was lost, every lookup since failed) instead of placing a second one."""
    booking_id = world.book()
    world.gateway.inject(Fault.TIMEOUT_AFTER_EFFECT, operation="place_hold")
    assert world.relay().run_once().retried == 1
    world.gateway.pending.clear()  # the hold's webhook is lost
    world.gateway.inject(Fault.GATEWAY_502, operation="intents_for_booking", times=7)
    world.settle()
    assert [m.state for m in world.messages(booking_id)] == [OutboxState.DLQ]
    world.clock.advance(timedelta(hours=25))

    drain_dlq(world.storage.unit_of_work(), world.clock)
    world.settle()

    (intent,) = world.gateway.all_intents()
    booking = world.booking(booking_id)
    assert (booking.payment_status, booking.payment_intent_id) == (PaymentStatus.HELD, intent.id)
    assert [e.operation for e in world.gateway.effects] == ["place_hold"]


def test_a_capture_waits_for_the_hold_it_captures(world: PaymentWorld) -> None:
    booking_id = world.book()
    world.vendor_confirms(booking_id)  # before the hold message was relayed
    world.gateway.inject(Fault.GATEWAY_502, operation="place_hold")
    report = world.relay().run_once()
    assert (report.retried, report.waited) == (1, 1)
    capture = world.messages(booking_id)[1]
    assert capture.command.action is PaymentAction.CAPTURE and capture.attempts == 0

    world.settle()
    assert world.booking(booking_id).state is BookingState.RECEIPT_ISSUED


def test_a_release_of_a_hold_captured_meanwhile_becomes_a_refund(world: PaymentWorld) -> None:
    booking_id = world.book()
    world.settle()
    intent_id = world.booking(booking_id).payment_intent_id or ""
    world.gateway.capture(intent_id, "someone-else")  # captured behind the booking's back
    world.customer_cancels(booking_id)
    world.settle()

    booking = world.booking(booking_id)
    assert booking.payment_status is PaymentStatus.REFUNDED
    assert world.gateway.retrieve(intent_id).net_captured == 0
    refund_keys = [e.idempotency_key for e in world.gateway.effects if e.operation == "refund"]
    assert refund_keys == [f"bookiji:{booking_id}:release:2:refund"]


def test_a_paused_relay_delivers_nothing_until_resumed(world: PaymentWorld) -> None:
    booking_id = world.book()
    set_paused(world.storage.unit_of_work(), world.clock, True)
    assert world.relay().run_once().paused
    assert world.messages(booking_id)[0].state is OutboxState.QUEUED
    assert outbox_status(world.storage.unit_of_work()).paused

    set_paused(world.storage.unit_of_work(), world.clock, False)
    assert world.relay().run_once().committed == 1


# -- SimCity finding F1: a booking that never had a hold settles as released ----------------


def admin_rolls_back(world: PaymentWorld, booking_id: BookingId) -> None:
    admin = Actor(ActorType.ADMIN, "adm_ops")
    world._change(booking_id, lambda b: b.roll_back(admin, world.now, "incident drill"))


def test_a_cancel_before_the_hold_went_out_settles_the_booking_as_released(
    world: PaymentWorld,
) -> None:
    booking_id = world.book()
    world.customer_cancels(booking_id)
    world.settle()

    booking = world.booking(booking_id)
    assert (booking.state, booking.payment_status) == (
        BookingState.CANCELLED,
        PaymentStatus.RELEASED,
    )
    assert booking.payment_intent_id is None
    assert world.gateway.effects == [] and world.ledger(booking_id) == []


def test_a_cancel_while_the_hold_is_being_retried_settles_as_released_and_holds_nothing(
    world: PaymentWorld,
) -> None:
    booking_id = world.book()
    world.gateway.inject(Fault.GATEWAY_502, operation="place_hold")
    assert world.relay().run_once().retried == 1
    world.customer_cancels(booking_id)
    world.settle()

    assert world.booking(booking_id).payment_status is PaymentStatus.RELEASED
    assert world.gateway.all_intents() == []


def test_an_auto_cancel_before_the_hold_went_out_settles_as_released(world: PaymentWorld) -> None:
    booking_id = world.book()
    set_paused(world.storage.unit_of_work(), world.clock, True)
    world.clock.advance(CONFIRM_WITHIN)
    assert world.auto_cancel() == [booking_id]
    set_paused(world.storage.unit_of_work(), world.clock, False)
    world.settle()

    assert world.booking(booking_id).payment_status is PaymentStatus.RELEASED
    assert world.gateway.all_intents() == []


def test_a_rollback_before_the_hold_went_out_settles_a_pending_refund_as_released(
    world: PaymentWorld,
) -> None:
    booking_id = world.book()
    world.vendor_confirms(booking_id)
    admin_rolls_back(world, booking_id)
    assert world.booking(booking_id).payment_status is PaymentStatus.REFUND_PENDING
    world.settle()

    booking = world.booking(booking_id)
    assert (booking.state, booking.payment_status) == (
        BookingState.REFUNDED,
        PaymentStatus.RELEASED,
    )
    assert world.gateway.effects == []
    assert all(m.state is OutboxState.COMMITTED for m in world.messages(booking_id))


def test_a_hold_placed_late_by_a_relay_that_lost_its_lease_is_released(
    world: PaymentWorld,
) -> None:
    """A relay reads the booking (still active), stalls past its lease before calling the
    provider; meanwhile the customer cancels and another relay settles everything as released.
    The stalled relay's hold still lands: its webhook tells the booking, which releases it."""
    booking_id = world.book()

    def stall(step: str) -> None:
        if step == "before_gateway":
            world.clock.advance(timedelta(seconds=31))
            world.customer_cancels(booking_id)
            world.settle()
            assert world.booking(booking_id).payment_status is PaymentStatus.RELEASED

    assert world.relay("stalled", checkpoint=stall).run_once().lost_lease == 1
    assert [i.status for i in world.gateway.all_intents()] == ["requires_capture"]
    world.settle()  # the hold's webhook arrives

    booking = world.booking(booking_id)
    assert (booking.state, booking.payment_status) == (
        BookingState.CANCELLED,
        PaymentStatus.RELEASED,
    )
    assert [i.status for i in world.gateway.all_intents()] == ["canceled"]
    assert booking.payment_intent_id == world.gateway.all_intents()[0].id
    assert [e.kind for e in world.ledger(booking_id)] == [LedgerKind.HOLD, LedgerKind.RELEASE]
    assert one_effect_per_key(world)


# -- SimCity finding F2: a capture after the DLQ drain wins over the failure it followed ------


def confirmed_while_the_hold_dead_letters(world: PaymentWorld) -> BookingId:
    """The vendor confirms while the hold keeps failing; the hold dead-letters, then the
    capture finds no intent (impossible, permanent): the payment is marked failed."""
    booking_id = world.book()
    world.vendor_confirms(booking_id)
    world.gateway.inject(Fault.GATEWAY_502, operation="place_hold", times=8)
    world.settle()
    assert [m.state for m in world.messages(booking_id)] == [OutboxState.DLQ] * 2
    booking = world.booking(booking_id)
    assert (booking.state, booking.payment_status) == (
        BookingState.PROVIDER_CONFIRMED,
        PaymentStatus.FAILED,
    )
    return booking_id


def test_a_capture_after_the_dlq_drain_captures_the_booking_and_issues_its_receipt(
    world: PaymentWorld,
) -> None:
    booking_id = confirmed_while_the_hold_dead_letters(world)
    drain_dlq(world.storage.unit_of_work(), world.clock)
    world.settle()

    booking = world.booking(booking_id)
    assert (booking.state, booking.payment_status) == (
        BookingState.RECEIPT_ISSUED,
        PaymentStatus.CAPTURED,
    )
    assert [e.kind for e in world.ledger(booking_id)] == [LedgerKind.HOLD, LedgerKind.CAPTURE]
    assert world.gateway.retrieve(booking.payment_intent_id or "").net_captured == 100


def test_the_captures_webhook_alone_issues_the_receipt_after_the_drain(
    world: PaymentWorld,
) -> None:
    booking_id = confirmed_while_the_hold_dead_letters(world)
    drain_dlq(world.storage.unit_of_work(), world.clock)
    world.relay().run_once()  # the hold
    world.clock.advance(timedelta(seconds=1))  # the drain spaces the capture out
    with pytest.raises(SimulatedCrash):
        world.relay(checkpoint=crash_at("after_gateway")).run_once()  # the capture, unrecorded
    assert world.gateway.deliver_due() == 2

    booking = world.booking(booking_id)
    assert (booking.state, booking.payment_status) == (
        BookingState.RECEIPT_ISSUED,
        PaymentStatus.CAPTURED,
    )


def test_a_rollback_of_a_failed_payment_leaves_nothing_on_the_card_after_the_drain(
    world: PaymentWorld,
) -> None:
    booking_id = confirmed_while_the_hold_dead_letters(world)
    admin_rolls_back(world, booking_id)
    world.settle()
    drain_dlq(world.storage.unit_of_work(), world.clock)
    world.settle()

    booking = world.booking(booking_id)
    assert (booking.state, booking.payment_status) == (
        BookingState.REFUNDED,
        PaymentStatus.RELEASED,
    )
    assert world.gateway.effects == []
    assert all(m.state is OutboxState.COMMITTED for m in world.messages(booking_id))


def test_a_capture_that_lands_on_a_booking_rolled_back_meanwhile_is_refunded(
    world: PaymentWorld,
) -> None:
    booking_id = confirmed_while_the_hold_dead_letters(world)
    drain_dlq(world.storage.unit_of_work(), world.clock)
    world.relay().run_once()  # the hold is placed
    world.clock.advance(timedelta(seconds=1))  # the drain spaces the capture out

    def roll_back_meanwhile(step: str) -> None:
        if step == "after_gateway":
            admin_rolls_back(world, booking_id)

    world.relay(checkpoint=roll_back_meanwhile).run_once()  # the capture lands
    world.settle()

    booking = world.booking(booking_id)
    assert (booking.state, booking.payment_status) == (
        BookingState.REFUNDED,
        PaymentStatus.REFUNDED,
    )
    (intent,) = world.gateway.all_intents()
    assert (intent.amount_captured, intent.net_captured) == (100, 0)
    assert [e.kind for e in world.ledger(booking_id)] == [
        LedgerKind.HOLD,
        LedgerKind.CAPTURE,
        LedgerKind.REFUND,
    ]


def test_a_stopping_relay_finishes_its_message_and_gives_back_the_rest_at_once(
    world: PaymentWorld,
) -> None:
    booked = [world.book() for _ in range(3)]
    delivered: list[str] = []

    def stop_after_first(step: str) -> None:
        if step == "after_gateway":
            delivered.append(step)

    stopping = OutboxRelay(
        world.storage.unit_of_work(),
        world.gateway,
        world.clock,
        world.telemetry,
        owner="stopping",
        checkpoint=stop_after_first,
        stopping=lambda: bool(delivered),  # SIGTERM arrives during the first delivery
    )
    report = stopping.run_once()

    assert (report.claimed, report.committed, report.released) == (3, 1, 2)
    queued = [m for b in booked for m in world.messages(b) if m.state is OutboxState.QUEUED]
    assert len(queued) == 2 and all(m.attempts == 0 and m.lease_owner is None for m in queued)
    assert world.relay("other").run_once().committed == 2  # no lease to wait out
    assert one_effect_per_key(world)
