"""Bookings and their audit trail as SQL rows; the database refuses overlapping slots."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CursorResult,
    Executable,
    RowMapping,
    bindparam,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from bookiji_adapters.sqlalchemy.base import SqlAlchemyRepository
from bookiji_adapters.sqlalchemy.engine import Deadlock
from bookiji_adapters.sqlalchemy.history import with_reason_digest
from bookiji_adapters.sqlalchemy.id_lists import any_of, in_constants
from bookiji_adapters.sqlalchemy.tables import ACTIVE_BOOKING_STATES, booking_audit, bookings
from bookiji_core.booking import ActorType, AuditEntry, Booking, BookingState
from bookiji_core.errors import ConcurrentUpdate, SlotTaken
from bookiji_core.payments import PaymentStatus
from bookiji_core.values import BookingId, CustomerId, Interval, Money, QuoteId, VendorId

# The PostgreSQL exclusion constraint and the SQLite trigger message (migration 0002).
SLOT_TAKEN = "slot_taken"
SLOT_CONSTRAINT = "ex_bookings_slot_taken"
# Two writers whose writes landed together: one retry settles it. New bookings queue on their
# vendor first (add), so this is left to updates; a cycle that persists fails with Deadlock.
DEADLOCK_ATTEMPTS = 2


def _booking_row(booking: Booking) -> dict[str, Any]:
    return {
        "id": booking.id,
        "quote_id": booking.quote_id,
        "customer_id": booking.customer_id,
        "vendor_id": booking.vendor_id,
        "starts_at": booking.interval.start,
        "ends_at": booking.interval.end,
        "price_amount": booking.price.amount,
        "price_currency": booking.price.currency,
        "fee_amount": booking.commitment_fee.amount,
        "fee_currency": booking.commitment_fee.currency,
        "payment_method": booking.payment_method,
        "state": booking.state.value,
        "payment_status": booking.payment_status.value,
        "hold_expires_at": booking.hold_expires_at,
        "created_at": booking.created_at,
        "updated_at": booking.updated_at,
        "payment_intent_id": booking.payment_intent_id,
        "payment_sequence": booking.payment_sequence,
        "version": booking.version,
        "synthetic": booking.synthetic,
    }


def _booking(row: RowMapping) -> Booking:
    return Booking(
        id=BookingId(row["id"]),
        quote_id=QuoteId(row["quote_id"]),
        customer_id=CustomerId(row["customer_id"]),
        vendor_id=VendorId(row["vendor_id"]),
        interval=Interval(row["starts_at"], row["ends_at"]),
        price=Money(row["price_currency"], row["price_amount"]),
        commitment_fee=Money(row["fee_currency"], row["fee_amount"]),
        payment_method=row["payment_method"],
        state=BookingState(row["state"]),
        payment_status=PaymentStatus(row["payment_status"]),
        hold_expires_at=row["hold_expires_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        payment_intent_id=row["payment_intent_id"],
        payment_sequence=row["payment_sequence"],
        version=row["version"],
        synthetic=row["synthetic"],
    )


def _is_slot_taken(error: IntegrityError) -> bool:
    diag = getattr(error.orig, "diag", None)  # psycopg names the violated constraint
    if diag is not None:
        return getattr(diag, "constraint_name", None) == SLOT_CONSTRAINT
    return SLOT_TAKEN in str(error.orig)


# Built once: quotes and confirms run them on every request.
_GET = select(bookings).where(bookings.c.id == bindparam("id"))
_GET_FOR_UPDATE = _GET.with_for_update()
# In id order, so that the row locks of two batches are taken in the same order.
_GET_MANY = select(bookings).where(any_of(bookings.c.id, "ids")).order_by(bookings.c.id)
_GET_MANY_FOR_UPDATE = _GET_MANY.with_for_update()
_BUSY = (
    select(bookings.c.vendor_id, bookings.c.starts_at, bookings.c.ends_at)
    .where(
        any_of(bookings.c.vendor_id, "vendor_ids"),
        in_constants(bookings.c.state, ACTIVE_BOOKING_STATES),
        bookings.c.starts_at < bindparam("end"),
        bookings.c.ends_at > bindparam("start"),
    )
    .order_by(bookings.c.vendor_id, bookings.c.starts_at)
)


_INSERT = insert(bookings)
_VENDOR_LOCK = text("SELECT pg_advisory_xact_lock(hashtext(:vendor))")
# The SET clause is the row given at execution; built once, as a statement per call costs
# about three times what running it does.
_UPDATE = update(bookings).where(
    bookings.c.id == bindparam("which"), bookings.c.version == bindparam("seen_version")
)


class SqlAlchemyBookings(SqlAlchemyRepository):
    def add(self, booking: Booking) -> None:
        if self._conn.dialect.name == "postgresql":
            # New bookings of one vendor queue here until the transaction ends, so that
            # overlapping inserts never wait on each other's exclusion check (a deadlock that
            # a crowd of racers could hit on every retry); the constraint still decides.
            self._conn.execute(_VENDOR_LOCK, {"vendor": f"bookiji.bookings:{booking.vendor_id}"})
        self._write(_INSERT, booking, _booking_row(booking) | {"version": 1})
        booking.version = 1
        self._locked(booking)

    def get(self, booking_id: BookingId, *, for_update: bool = False) -> Booking | None:
        # SQLite has no row locks; BEGIN IMMEDIATE suffices.
        stmt = _GET_FOR_UPDATE if for_update else _GET
        row = self._conn.execute(stmt, {"id": booking_id}).mappings().first()
        if row is None:
            return None
        booking = _booking(row)
        if for_update:
            self._locked(booking)
        return booking

    def get_many(
        self, booking_ids: Iterable[BookingId], *, for_update: bool = False
    ) -> dict[BookingId, Booking]:
        wanted = sorted(set(booking_ids))
        if not wanted:
            return {}
        stmt = _GET_MANY_FOR_UPDATE if for_update else _GET_MANY
        rows = self._conn.execute(stmt, {"ids": wanted}).mappings()
        found = {b.id: b for b in map(_booking, rows)}
        if for_update:
            for booking in found.values():
                self._locked(booking)
        return found

    def update(self, booking: Booking) -> None:
        params = _booking_row(booking) | {
            "version": booking.version + 1,
            "which": booking.id,
            "seen_version": booking.version,
        }
        held = self._source.held
        locked = held.seen("bookings", booking.id)  # (version, active) or None
        if locked in {(booking.version, True), (booking.version, booking.is_active)}:
            # Locked by this transaction at this version, and taking no slot it did not
            # hold: the update cannot fail, so it waits to go in with the others (held.py).
            held.update(_UPDATE, params)
        elif self._write(_UPDATE, booking, params).rowcount != 1:
            raise ConcurrentUpdate(f"booking {booking.id} was changed by another transaction")
        booking.version += 1
        self._locked(booking)

    def _locked(self, booking: Booking) -> None:
        """This transaction holds the booking's row (as read FOR UPDATE, or as it wrote it)."""
        self._source.held.locked("bookings", booking.id, (booking.version, booking.is_active))

    def _write(
        self, stmt: Executable, booking: Booking, params: dict[str, Any] | None = None
    ) -> CursorResult[Any]:
        attempt = 1
        # A refusal leaves the transaction usable, as in memory. On SQLite a failed statement
        # is undone alone (its ABORT conflict resolution) and there are no deadlocks; on
        # PostgreSQL a failure aborts the whole transaction unless a savepoint takes it.
        savepoint = self._conn.dialect.name != "sqlite"
        while True:
            try:
                if not savepoint:
                    return self._conn.execute(stmt, params)
                with self._conn.begin_nested():
                    return self._conn.execute(stmt, params)
            except IntegrityError as error:
                if _is_slot_taken(error):
                    raise SlotTaken(
                        f"vendor {booking.vendor_id} is already booked at that time"
                    ) from None
                raise
            except Deadlock:
                # PostgreSQL checks an exclusion constraint after inserting, so two overlapping
                # inserts that land together each wait for the other until one is aborted
                # (see execIndexing.c). Back at the savepoint that row is gone: the retry waits
                # for the other transaction and ends in success or a clean SlotTaken.
                if attempt == DEADLOCK_ATTEMPTS:
                    raise
                attempt += 1

    def busy(
        self, vendor_ids: Iterable[VendorId], within: Interval
    ) -> Mapping[VendorId, Sequence[Interval]]:
        return self._intervals_by_vendor(_BUSY, vendor_ids, within)

    def list_for(
        self,
        *,
        customer_id: CustomerId | None = None,
        vendor_id: VendorId | None = None,
        limit: int = 100,
    ) -> list[Booking]:
        stmt = select(bookings).order_by(bookings.c.created_at.desc(), bookings.c.id.desc())
        if customer_id is not None:
            stmt = stmt.where(bookings.c.customer_id == customer_id)
        if vendor_id is not None:
            stmt = stmt.where(bookings.c.vendor_id == vendor_id)
        return [_booking(row) for row in self._conn.execute(stmt.limit(limit)).mappings()]

    def due_for_auto_cancel(self, now: datetime, limit: int) -> list[BookingId]:
        b = bookings.c
        stmt = (
            select(b.id)
            .where(b.state == BookingState.HOLD_PLACED.value, b.hold_expires_at <= now)
            .order_by(b.hold_expires_at, b.id)
            .limit(limit)
        )
        return [BookingId(booking_id) for booking_id in self._conn.scalars(stmt)]


class SqlAlchemyAuditTrail(SqlAlchemyRepository):
    def append(self, entry: AuditEntry) -> None:
        row = {
            "booking_id": entry.booking_id,
            "from_state": entry.from_state.value,
            "to_state": entry.to_state.value,
            "action": entry.action,
            "actor_type": entry.actor_type.value,
            "actor_id": entry.actor_id,
            "reason": entry.reason,
            "at": entry.at,
        }
        self._chained("booking_audit", with_reason_digest(row))

    def for_booking(self, booking_id: BookingId) -> list[AuditEntry]:
        a = booking_audit.c
        stmt = select(booking_audit).where(a.booking_id == booking_id).order_by(a.id)
        return [
            audit_entry(row) for row in self._history_of("booking_audit").execute(stmt).mappings()
        ]


def audit_entry(row: RowMapping) -> AuditEntry:
    return AuditEntry(
        booking_id=BookingId(row["booking_id"]),
        from_state=BookingState(row["from_state"]),
        to_state=BookingState(row["to_state"]),
        action=row["action"],
        actor_type=ActorType(row["actor_type"]),
        actor_id=row["actor_id"],
        reason=row["reason"],
        at=row["at"],
    )
