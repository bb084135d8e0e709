"""Set-based reads and rewrites of a person's trail, mixed into SqlAlchemyPrivacy: one
statement per batch of ids (`IN (...)`), never one per booking (docs/benchmarks.md, "Privacy
at scale")."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    RowMapping,
    ScalarSelect,
    Select,
    Table,
    bindparam,
    select,
    tuple_,
)
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
from bookiji_core.usecases import privacy_records as records
from bookiji_core.values import BookingId, CustomerId, VendorId

# Ids per statement: well under SQLite's bound-parameter limit, short locks on either database.
BATCH = 500
T = TypeVar("T")
_QUOTE_COLUMNS = ("latitude", "longitude", "candidates", "intent_hash")
_CANDIDATES = records.QUOTE_COLUMNS.index("candidates")
# Oldest first, (created_at, id), in Python's string order as the object path sorted them.
_QUOTE_ORDER = operator.itemgetter(records.QUOTE_COLUMNS.index("created_at"), 0)
_BOOKING_ORDER = operator.itemgetter(records.BOOKING_COLUMNS.index("created_at"), 0)


class SqlAlchemyPrivacyBulk(SqlAlchemyRepository):
    def quote_records(self, customer_id: CustomerId) -> list[dict[str, Any]]:
        q = quotes.c
        stmt = select(*[q[name] for name in records.QUOTE_COLUMNS]).where(
            q.customer_id == customer_id
        )
        rows = sorted(self._conn.execute(stmt).all(), key=_QUOTE_ORDER)
        to_row = operator.itemgetter(*records.CANDIDATE_COLUMNS)
        found = []
        for row in rows:
            listed = list(row)
            listed[_CANDIDATES] = [to_row(c) for c in row.candidates]
            found.append(records.quote_record(listed))
        return found

    def booking_records(
        self,
        *,
        customer_id: CustomerId | None = None,
        vendor_id: VendorId | None = None,
        own_payments: bool,
    ) -> list[dict[str, Any]]:
        # Four statements whatever the history: the bookings, then each trail table joined to
        # them by a subquery (no list of ids sent back), only the columns the export shows.
        b = bookings.c
        owner: list[ColumnElement[bool]] = []
        if customer_id is not None:
            owner.append(b.customer_id == customer_id)
        if vendor_id is not None:
            owner.append(b.vendor_id == vendor_id)
        theirs = select(b.id).where(*owner).scalar_subquery()
        stmt = select(*[b[n] for n in records.BOOKING_COLUMNS]).where(*owner)
        # fetchall, not a row at a time: psycopg's per-row fetch was a third of the time.
        ordered = sorted(self._conn.execute(stmt).all(), key=_BOOKING_ORDER)
        self._history_of("booking_audit")  # this transaction's queued rows first
        audit = self._trail(booking_audit, records.AUDIT_COLUMNS, theirs, booking_audit.c.id)
        audit_record = records.audit_record
        if own_payments:
            messages = self._trail(outbox, records.OUTBOX_COLUMNS, theirs, outbox.c.sequence)
            ledger = self._trail(
                ledger_entries, records.LEDGER_COLUMNS, theirs, ledger_entries.c.id
            )
            outbox_record, ledger_record = records.outbox_record, records.ledger_record
        found = []
        for row in ordered:
            item = records.booking_record(row, with_payment_method=own_payments)
            booking_id = row[0]
            item["audit"] = [audit_record(r) for r in audit.get(booking_id, ())]
            if own_payments:
                item["payment_messages"] = [outbox_record(r) for r in messages.get(booking_id, ())]
                item["ledger"] = [ledger_record(r) for r in ledger.get(booking_id, ())]
            found.append(item)
        return found

    def _trail(
        self,
        table: Table,
        columns: Sequence[str],
        theirs: ScalarSelect[Any],
        order: ColumnElement[Any],
    ) -> dict[str, list[Sequence[Any]]]:
        """`columns` of the rows of `table` about these bookings, by booking id, in `order`."""
        c = table.c
        stmt = (
            select(c.booking_id, *[c[name] for name in columns])
            .where(c.booking_id.in_(theirs))
            .order_by(order)
        )
        found: dict[str, list[Sequence[Any]]] = {}
        for row in self._conn.execute(stmt).all():
            found.setdefault(row[0], []).append(row[1:])
        return found

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
