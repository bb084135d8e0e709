"""The properties a run must keep: after every step, and once the world is at rest.

After every step: no double charge, one provider effect per idempotency key, no double booking,
no fee captured for a booking its vendor never confirmed, every booking's audit trail complete,
every ledger entry backed by the provider, the DLQ within its bound. At rest (nothing queued, in
flight, or due): the outbox drained, ledger and provider agree entry for entry, no live hold or
kept fee on a cancelled booking, every booking's payment status matches the provider.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable

import attrs

from bookiji_adapters.simcity.payments import SimCityPaymentGateway
from bookiji_core.booking import AuditEntry, Booking, BookingState
from bookiji_core.ledger import LedgerEntry, reconcile_booking
from bookiji_core.payments import (
    IntentStatus,
    IntentView,
    OutboxMessage,
    OutboxState,
    PaymentStatus,
)
from bookiji_core.ports import UnitOfWorkFactory
from bookiji_core.values import BookingId

EVERYTHING = 10**9


@attrs.frozen
class Snapshot:
    bookings: tuple[Booking, ...]
    audit: dict[BookingId, list[AuditEntry]]
    ledger: dict[BookingId, list[LedgerEntry]]
    outbox: tuple[OutboxMessage, ...]
    intents: tuple[IntentView, ...]
    effects_per_key: Counter[str]

    @classmethod
    def take(cls, uow_factory: UnitOfWorkFactory, provider: SimCityPaymentGateway) -> Snapshot:
        with uow_factory() as uow:
            bookings = tuple(sorted(uow.bookings.list_for(limit=EVERYTHING), key=lambda b: b.id))
            audit = {b.id: uow.audit.for_booking(b.id) for b in bookings}
            ledger = {b.id: uow.ledger.for_booking(b.id) for b in bookings}
            outbox = tuple(
                m for state in OutboxState for m in uow.outbox.list_by_state(state, EVERYTHING)
            )
        return cls(
            bookings,
            audit,
            ledger,
            outbox,
            tuple(provider.all_intents()),
            provider.effects_per_key(),
        )

    def intents_of(self, booking_id: BookingId) -> list[IntentView]:
        return [i for i in self.intents if i.booking_id == booking_id]

    def count(self, state: OutboxState) -> int:
        return sum(1 for m in self.outbox if m.state is state)


def always(snap: Snapshot, dlq_bound: int) -> list[str]:
    found: list[str] = []
    found += _double_charges(snap)
    found += [
        f"the provider took {n} effects for idempotency key {key}"
        for key, n in sorted(snap.effects_per_key.items())
        if n > 1
    ]
    found += _double_bookings(snap.bookings)
    for booking in snap.bookings:
        found += _audit_trail(booking, snap.audit[booking.id])
        found += _charged_without_vendor(booking, snap)
        found += _ledger_backed(booking, snap)
    dlq = snap.count(OutboxState.DLQ)
    if dlq > dlq_bound:
        found.append(f"DLQ depth {dlq} exceeds its bound {dlq_bound}")
    return found


def at_rest(snap: Snapshot) -> list[str]:
    found: list[str] = []
    unfinished = snap.count(OutboxState.QUEUED) + snap.count(OutboxState.IN_FLIGHT)
    if unfinished:
        found.append(f"the outbox did not drain: {unfinished} messages queued or in flight")
    for booking in snap.bookings:
        intents = snap.intents_of(booking.id)
        result = reconcile_booking(booking.id, snap.ledger[booking.id], intents, booking.updated_at)
        found += [
            f"ledger and provider disagree on {m.kind} of {m.intent_id} (booking {booking.id}): "
            f"ledger {m.ledger_amount}, provider {m.gateway_amount}"
            for m in result.mismatches
        ]
        found += _settled(booking, intents, snap)
    return found


def _double_charges(snap: Snapshot) -> list[str]:
    charged: defaultdict[str, list[str]] = defaultdict(list)
    for intent in snap.intents:
        if intent.net_captured > 0:
            charged[str(intent.booking_id)].append(intent.id)
    return [
        f"double charge: booking {b} keeps {len(ids)} captured fees ({', '.join(sorted(ids))})"
        for b, ids in sorted(charged.items())
        if len(ids) > 1
    ]


def _double_bookings(bookings: Iterable[Booking]) -> list[str]:
    found = []
    active = sorted(
        (b for b in bookings if b.is_active), key=lambda b: (b.vendor_id, b.interval.start)
    )
    for first, second in itertools.pairwise(active):
        if first.vendor_id == second.vendor_id and first.interval.overlaps(second.interval):
            found.append(
                f"double booking: {first.id} and {second.id} overlap for {first.vendor_id}"
            )
    return found


def _audit_trail(booking: Booking, trail: list[AuditEntry]) -> list[str]:
    if not trail:
        return [f"booking {booking.id} has no audit trail"]
    found = []
    head = trail[0]
    if (head.action, head.from_state, head.to_state) != (
        "confirm",
        BookingState.QUOTED,
        BookingState.HOLD_PLACED,
    ):
        found.append(f"booking {booking.id}'s audit trail does not start with its confirm")
    for before, after in itertools.pairwise(trail):
        if before.to_state != after.from_state:
            found.append(
                f"booking {booking.id}'s audit trail jumps from {before.to_state} "
                f"to {after.from_state} ({after.action})"
            )
    if trail[-1].to_state != booking.state:
        found.append(
            f"booking {booking.id} is {booking.state} but its audit trail ends in "
            f"{trail[-1].to_state}"
        )
    receipts = sum(1 for e in trail if e.action == "issue_receipt")
    if receipts > 1:
        found.append(f"booking {booking.id} issued {receipts} receipts")
    return found


def _charged_without_vendor(booking: Booking, snap: Snapshot) -> list[str]:
    confirmed = any(e.action == "provider_confirm" for e in snap.audit[booking.id])
    captured = [i.id for i in snap.intents_of(booking.id) if i.amount_captured > 0]
    if captured and not confirmed:
        return [f"booking {booking.id} was charged ({captured[0]}) but its vendor never confirmed"]
    return []


def _ledger_backed(booking: Booking, snap: Snapshot) -> list[str]:
    """The ledger may lag the provider mid-run, but never claims an effect it did not have."""
    ledger = snap.ledger[booking.id]
    if not ledger:
        return []
    result = reconcile_booking(booking.id, ledger, snap.intents_of(booking.id), booking.updated_at)
    return [
        f"the ledger records {m.kind} of {m.intent_id} for {booking.id} that the provider "
        f"does not have ({m.ledger_amount} vs {m.gateway_amount})"
        for m in result.mismatches
        if m.ledger_amount is not None
    ]


def _settled(booking: Booking, intents: list[IntentView], snap: Snapshot) -> list[str]:
    """At rest the booking's money is where its state says it is."""
    found = []
    live = [i.id for i in intents if i.status is IntentStatus.REQUIRES_CAPTURE]
    kept = [i.id for i in intents if i.net_captured > 0]
    dead_letters = [
        m for m in snap.outbox if m.command.booking_id == booking.id and m.state is OutboxState.DLQ
    ]
    if live:  # at rest nobody waits for a vendor: no card may stay authorised
        found.append(f"booking {booking.id} ({booking.state}) leaves a live hold {live[0]}")
    if booking.state in (BookingState.CANCELLED, BookingState.REFUNDED) and kept:
        found.append(f"cancelled booking {booking.id} still keeps a captured fee {kept[0]}")
    if booking.state is BookingState.RECEIPT_ISSUED and len(kept) != 1:
        found.append(f"booking {booking.id} issued a receipt but keeps {len(kept)} fees")
    if booking.state is BookingState.HOLD_PLACED:
        found.append(f"booking {booking.id} is still waiting for its vendor at rest")
    if booking.state is BookingState.PROVIDER_CONFIRMED and not dead_letters:
        found.append(f"booking {booking.id} is confirmed but its fee was never captured")
    pending = booking.payment_status.endswith("_pending")
    if pending and not dead_letters:
        found.append(f"booking {booking.id} is still {booking.payment_status} at rest")
    if booking.payment_status is PaymentStatus.CAPTURED and not kept:
        found.append(f"booking {booking.id} says captured but the provider kept nothing")
    return found
