"""reconcile: compare the ledger with the payment provider and count double charges."""

from __future__ import annotations

from datetime import datetime

import attrs

from bookiji_core.errors import IllegalTransition
from bookiji_core.ledger import BookingReconciliation, Mismatch, entries_for, reconcile_booking
from bookiji_core.payments import PaymentAction
from bookiji_core.ports import Clock, Ids, PaymentGateway, Telemetry, UnitOfWork
from bookiji_core.usecases.changes import record_changes
from bookiji_core.values import BookingId

DOUBLE_CHARGES = "ledger.double_charges"
RECONCILED_AT = "ledger.reconciled_at"


@attrs.frozen
class ReconcileReport:
    bookings_checked: int
    double_charged: tuple[BookingId, ...]
    mismatches: tuple[Mismatch, ...]
    refunds_queued: tuple[str, ...] = ()
    entries_added: int = 0

    @property
    def double_charges(self) -> int:
        return len(self.double_charged)


def reconcile(
    uow: UnitOfWork,
    gateway: PaymentGateway,
    clock: Clock,
    ids: Ids,
    telemetry: Telemetry,
    *,
    fix: bool = False,
    page: int = 500,
) -> ReconcileReport:
    """Every booking with ledger entries, against every intent the provider has for it. With
    `fix`, refunds of the extra captured fees are queued through the outbox (never called
    inline) and effects the ledger missed are appended. The count is stored, so every process
    reports the same figure, and sent to telemetry."""
    checked = 0
    doubles: list[BookingId] = []
    mismatches: list[Mismatch] = []
    refunds: list[str] = []
    added = 0
    after = ""
    while True:
        with uow:
            batch = uow.ledger.booking_ids(after=after, limit=page)
        if not batch:
            break
        after = batch[-1]
        for booking_id in batch:
            result = _check(uow, gateway, booking_id, clock.now())
            checked += 1
            mismatches.extend(result.mismatches)
            if result.double_charged:
                doubles.append(booking_id)
            if fix:
                queued, appended = _fix(uow, gateway, result, clock.now(), ids)
                refunds.extend(queued)
                added += appended
    now = clock.now()
    with uow:
        uow.controls.set(DOUBLE_CHARGES, str(len(doubles)), now)
        uow.controls.set(RECONCILED_AT, now.isoformat(), now)
        uow.commit()
    telemetry.double_charges(len(doubles))
    return ReconcileReport(checked, tuple(doubles), tuple(mismatches), tuple(refunds), added)


def _check(
    uow: UnitOfWork, gateway: PaymentGateway, booking_id: BookingId, now: datetime
) -> BookingReconciliation:
    with uow:
        ledger = uow.ledger.for_booking(booking_id)
    intents = {i.id: i for i in gateway.intents_for_booking(booking_id)}
    # Search at the provider may lag; an intent the ledger knows is read directly.
    for intent_id in {e.intent_id for e in ledger} - intents.keys():
        intents[intent_id] = gateway.retrieve(intent_id)
    return reconcile_booking(booking_id, ledger, intents.values(), now)


def _fix(
    uow: UnitOfWork,
    gateway: PaymentGateway,
    result: BookingReconciliation,
    now: datetime,
    ids: Ids,
) -> tuple[list[str], int]:
    # Read the provider before the transaction: no row lock is held across a network call.
    missing = {m.intent_id for m in result.mismatches if m.ledger_amount is None}
    entries = [
        e for i in sorted(missing) for e in entries_for(result.booking_id, gateway.retrieve(i), now)
    ]
    added = 0
    queued: list[str] = []
    with uow:
        booking = uow.bookings.get(result.booking_id, for_update=True)
        if booking is None:
            return queued, added
        for entry in entries:
            added += uow.ledger.append(entry)
        if result.double_charged:
            pending = {
                m.command.intent_id
                for m in uow.outbox.for_booking(booking.id)
                if m.command.action is PaymentAction.REFUND and not m.finished
            }
            keep = booking.payment_intent_id
            if keep not in result.charged_intents:
                keep = result.charged_intents[0]
            for intent_id in result.charged_intents:
                if intent_id == keep or intent_id in pending:
                    continue
                try:
                    booking.refund_stray_charge(intent_id)
                except IllegalTransition:
                    continue
                queued.append(intent_id)
            uow.bookings.update(booking)
            record_changes(uow, booking, ids, now)
        uow.commit()
    return queued, added
