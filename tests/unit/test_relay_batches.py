"""The relay records a batch of outcomes in one transaction; what goes wrong for one message of
the batch (its booking moved on, its lease was taken over) is that message's alone."""

from __future__ import annotations

import attrs
import pytest

from bookiji_adapters.memory.bookings import InMemoryBookings
from bookiji_core import BookingId, BookingState, OutboxState, PaymentAction, PaymentStatus
from bookiji_core.booking import Booking
from bookiji_core.errors import ConcurrentUpdate
from bookiji_core.ledger import LedgerKind
from tests.payments_world import PaymentWorld


@pytest.fixture
def world() -> PaymentWorld:
    return PaymentWorld()


def one_effect_per_key(world: PaymentWorld) -> bool:
    return all(n == 1 for n in world.gateway.effects_per_key().values())


def held_once(world: PaymentWorld, booking_id: BookingId) -> bool:
    booking = world.booking(booking_id)
    kinds = [e.kind for e in world.ledger(booking_id)]
    return booking.payment_status is PaymentStatus.HELD and kinds == [LedgerKind.HOLD]


def test_a_booking_that_moved_on_mid_batch_is_recorded_alone_and_the_rest_together(
    world: PaymentWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, moved, third = (world.book() for _ in range(3))
    updates: list[BookingId] = []
    raised: list[BookingId] = []
    update = InMemoryBookings.update

    def racing_update(self: InMemoryBookings, booking: Booking) -> None:
        updates.append(booking.id)
        if booking.id == moved and not raised:  # another writer got in first, once
            raised.append(booking.id)
            raise ConcurrentUpdate(f"booking {booking.id} was changed by another transaction")
        update(self, booking)

    monkeypatch.setattr(InMemoryBookings, "update", racing_update)
    report = world.relay().run_once()

    assert (report.claimed, report.committed, report.lost_lease) == (3, 3, 0)
    # The batch up to the failure, rolled back; the others together; then the one alone.
    assert updates == [first, moved, first, third, moved]
    assert all(held_once(world, b) for b in (first, moved, third))
    assert len(world.gateway.effects) == 3 and one_effect_per_key(world)  # no call repeated


def test_a_message_that_keeps_failing_to_record_stays_in_flight_and_the_rest_commit(
    world: PaymentWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, stuck, third = (world.book() for _ in range(3))
    update = InMemoryBookings.update

    def always_racing(self: InMemoryBookings, booking: Booking) -> None:
        if booking.id == stuck:
            raise ConcurrentUpdate(f"booking {booking.id} was changed by another transaction")
        update(self, booking)

    monkeypatch.setattr(InMemoryBookings, "update", always_racing)
    report = world.relay().run_once()

    assert (report.committed, report.lost_lease) == (2, 1)
    assert held_once(world, first) and held_once(world, third)
    [message] = world.messages(stuck)
    assert message.state is OutboxState.IN_FLIGHT  # its lease expires; it is retried then
    assert world.ledger(stuck) == []


def test_a_lease_lost_within_a_batch_loses_that_message_only(world: PaymentWorld) -> None:
    first, taken, third = (world.book() for _ in range(3))
    calls: list[str] = []

    def rival_takes_one(step: str) -> None:
        if step != "after_gateway":
            return
        calls.append(step)
        if len(calls) == 3:  # every call made, nothing recorded yet: a rival holds one
            with world.storage.unit_of_work() as uow:
                [message] = uow.outbox.for_booking(taken)
                uow.outbox.update(attrs.evolve(message, lease_owner="rival"))
                uow.commit()

    report = world.relay("late", checkpoint=rival_takes_one).run_once()

    assert (report.committed, report.lost_lease) == (2, 1)
    assert held_once(world, first) and held_once(world, third)
    [message] = world.messages(taken)
    assert (message.state, message.lease_owner) == (OutboxState.IN_FLIGHT, "rival")
    assert world.booking(taken).payment_status is PaymentStatus.HOLD_PENDING
    assert one_effect_per_key(world)


def test_two_payments_of_one_booking_in_one_batch_go_in_their_order(world: PaymentWorld) -> None:
    booking_id = world.book()
    world.vendor_confirms(booking_id)  # the capture is queued behind the hold
    others = [world.book() for _ in range(3)]

    report = world.relay(parallel=4).run_once()

    assert (report.claimed, report.committed, report.waited) == (5, 5, 0)
    actions = [e.operation for e in world.gateway.effects if e.intent_id.startswith("pi_")]
    assert actions.count("capture") == 1
    effects = world.gateway.effects
    hold = next(
        e for e in effects if e.operation == "place_hold" and booking_id in e.idempotency_key
    )
    capture = next(e for e in effects if e.operation == "capture")
    assert hold.seq < capture.seq and capture.intent_id == hold.intent_id
    world.settle()
    assert world.booking(booking_id).state is BookingState.RECEIPT_ISSUED
    assert all(held_once(world, b) for b in others)


def test_parallel_calls_make_each_effect_once_and_record_each_answer(world: PaymentWorld) -> None:
    booked = [world.book() for _ in range(12)]

    report = world.relay(parallel=4, batch=12).run_once()

    assert (report.claimed, report.committed) == (12, 12)
    assert sorted(e.idempotency_key for e in world.gateway.effects) == sorted(
        f"bookiji:{b}:{PaymentAction.PLACE_HOLD.value}:1" for b in booked
    )
    assert one_effect_per_key(world)
    assert all(held_once(world, b) for b in booked)
