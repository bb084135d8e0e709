"""Set-based reads and rewrites of a person's trail, mixed into SqlAlchemyPrivacy: one
statement per batch of ids (`IN (...)`), never one per booking (docs/benchmarks.md, "Privacy
at scale")."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, RowMapping, Select, bindparam, select, tuple_
from sqlalchemy import update as sql_update

from bookiji_adapters.sqlalchemy.base import SqlAlchemyRepository
from bookiji_adapters.sqlalchemy.bookings import audit_entry
from bookiji_adapters.sqlalchemy.outbox import _message
from bookiji_adapters.sqlalchemy.payments import ledger_entry
from bookiji_adapters.sqlalchemy.quotes import _quote_row
from bookiji_adapters.sqlalchemy.tables import booking_audit, bookings, ledger_entries, quotes
from bookiji_adapters.sqlalchemy.tables import outbox_messages as outbox
from bookiji_core.booking import AuditEntry, Booking
from bookiji_core.errors import ConcurrentUpdate
from bookiji_core.ledger import LedgerEntry
from bookiji_core.payments import OutboxMessage
from bookiji_core.quoting import Quote
from bookiji_core.values import BookingId

# Ids per statement: well under SQLite's bound-parameter limit, short locks on either database.
BATCH = 500
T = TypeVar("T")
_QUOTE_COLUMNS = ("latitude", "longitude", "candidates", "intent_hash")


class SqlAlchemyPrivacyBulk(SqlAlchemyRepository):
    def audit_of(self, booking_ids: Sequence[BookingId]) -> dict[BookingId, list[AuditEntry]]:
        a = booking_audit.c
        self._history_of("booking_audit")  # this transaction's queued rows first
        return self._grouped(
            booking_ids,
            lambda ids: select(booking_audit).where(a.booking_id.in_(ids)),
            a.id,
            audit_entry,
        )

    def outbox_of(self, booking_ids: Sequence[BookingId]) -> dict[BookingId, list[OutboxMessage]]:
        m = outbox.c
        return self._grouped(
            booking_ids,
            lambda ids: select(outbox).where(m.booking_id.in_(ids)),
            m.sequence,
            _message,
        )

    def ledger_of(self, booking_ids: Sequence[BookingId]) -> dict[BookingId, list[LedgerEntry]]:
        e = ledger_entries.c
        return self._grouped(
            booking_ids,
            lambda ids: select(ledger_entries).where(e.booking_id.in_(ids)),
            e.id,
            ledger_entry,
        )

    def _grouped(
        self,
        booking_ids: Sequence[BookingId],
        query: Callable[[list[BookingId]], Select[Any]],
        order: ColumnElement[Any],
        convert: Callable[[RowMapping], T],
    ) -> dict[BookingId, list[T]]:
        found: dict[BookingId, list[T]] = {booking_id: [] for booking_id in booking_ids}
        ids = list(found)
        for first in range(0, len(ids), BATCH):
            stmt = query(ids[first : first + BATCH]).order_by(order)
            for row in self._conn.execute(stmt).mappings():
                found[BookingId(row["booking_id"])].append(convert(row))
        return found

    def replace_quotes(self, erased: Sequence[Quote]) -> None:
        # One executemany per batch: what erasure changes, by primary key.
        stmt = (
            sql_update(quotes)
            .where(quotes.c.id == bindparam("quote_id"))
            .values({name: bindparam(name) for name in _QUOTE_COLUMNS})
        )
        for first in range(0, len(erased), BATCH):
            rows = []
            for quote in erased[first : first + BATCH]:
                row = _quote_row(quote)
                rows.append({"quote_id": quote.id} | {name: row[name] for name in _QUOTE_COLUMNS})
            self._conn.execute(stmt, rows)

    def erase_payment_methods(self, erased: Sequence[Booking], placeholder: str) -> None:
        b = bookings.c
        for first in range(0, len(erased), BATCH):
            batch = erased[first : first + BATCH]
            # (id, version) pairs: the optimistic lock of BookingRepository.update, set-based.
            stmt = (
                sql_update(bookings)
                .where(tuple_(b.id, b.version).in_([(x.id, x.version) for x in batch]))
                .values(payment_method=placeholder, version=b.version + 1)
                .execution_options(preserve_rowcount=True)
            )
            if self._conn.execute(stmt).rowcount != len(batch):
                raise ConcurrentUpdate("a booking was changed by another transaction")
            for booking in batch:
                booking.payment_method = placeholder
                booking.version += 1
