"""`bkctl simcity purge`: remove every synthetic record, in one transaction.

Synthetic bookings go with their outbox messages, quotes and idempotency keys; synthetic
customers and vendors with their tokens, services and opening hours. The history stays: the
access log, the booking audit and the ledger are append-only and hash-chained (docs/
security.md), so removing a row from them would read as tampering; they hold ids, states and
amounts of synthetic people only. A purge is refused while a synthetic booking still has a
payment message queued or in flight (power SimCity off and let the relay drain first), unless
forced.

The storage ports have no deletes (nothing in the domain removes a booking), so the purge is
an adapter-level operation per storage technology.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs
from sqlalchemy import Engine, delete, select

from bookiji_adapters.sqlalchemy import tables as t
from bookiji_core.payments import OutboxState

UNFINISHED = (OutboxState.QUEUED.value, OutboxState.IN_FLIGHT.value)


class PurgeRefused(Exception):
    """Synthetic payments are still in flight."""


@attrs.frozen
class PurgeReport:
    bookings: int
    customers: int
    vendors: int


def purge_sql(engine: Engine, *, force: bool = False) -> PurgeReport:
    with engine.begin() as conn:
        booking_ids = list(conn.scalars(select(t.bookings.c.id).where(t.bookings.c.synthetic)))
        customer_ids = list(conn.scalars(select(t.customers.c.id).where(t.customers.c.synthetic)))
        vendor_ids = list(conn.scalars(select(t.vendors.c.id).where(t.vendors.c.synthetic)))
        if not force:
            busy = conn.scalar(
                select(t.outbox_messages.c.id)
                .where(t.outbox_messages.c.booking_id.in_(booking_ids))
                .where(t.outbox_messages.c.state.in_(UNFINISHED))
                .limit(1)
            )
            if busy is not None:
                raise PurgeRefused(f"synthetic payment message {busy} is still queued or in flight")
        _delete_in(conn, t.outbox_messages, t.outbox_messages.c.booking_id, booking_ids)
        _delete_in(conn, t.bookings, t.bookings.c.id, booking_ids)
        _delete_in(conn, t.quotes, t.quotes.c.customer_id, customer_ids)
        _delete_in(conn, t.idempotency_keys, t.idempotency_keys.c.scope, customer_ids)
        _delete_in(conn, t.principals, t.principals.c.subject_id, customer_ids + vendor_ids)
        _delete_in(conn, t.customers, t.customers.c.id, customer_ids)
        for table in (t.vendor_services, t.vendor_windows):
            _delete_in(conn, table, table.c.vendor_id, vendor_ids)
        _delete_in(conn, t.vendors, t.vendors.c.id, vendor_ids)
    return PurgeReport(len(booking_ids), len(customer_ids), len(vendor_ids))


def _delete_in(conn: Any, table: Any, column: Any, values: list[str]) -> None:
    # Chunked: SQLite limits the number of bound parameters in one statement.
    for start in range(0, len(values), 500):
        conn.execute(delete(table).where(column.in_(values[start : start + 500])))


def purge_memory(uow: Any, *, force: bool = False) -> PurgeReport:
    """The in-memory storage: edit the transaction's working copy, then commit."""
    with uow:
        state = uow.working
        bookings = {b for b, booking in state.bookings.items() if booking.synthetic}
        customers = {c for c, customer in state.customers.items() if customer.synthetic}
        vendors = {v for v, vendor in state.vendors.items() if vendor.synthetic}
        messages = [m for m in state.outbox.values() if m.command.booking_id in bookings]
        if not force and any(m.state.value in UNFINISHED for m in messages):
            raise PurgeRefused("a synthetic payment message is still queued or in flight")
        state.bookings = _without(state.bookings, bookings)
        state.outbox = {
            k: m for k, m in state.outbox.items() if m.command.booking_id not in bookings
        }
        state.quotes = {k: q for k, q in state.quotes.items() if q.customer_id not in customers}
        state.idempotency = {k: r for k, r in state.idempotency.items() if k[0] not in customers}
        subjects = customers | vendors
        state.principals = {
            k: p for k, p in state.principals.items() if p.subject_id not in subjects
        }
        state.customers = _without(state.customers, customers)
        state.vendors = _without(state.vendors, vendors)
        state.windows = _without(state.windows, vendors)
        uow.commit()
    return PurgeReport(len(bookings), len(customers), len(vendors))


def _without(mapping: dict[Any, Any], keys: Iterable[Any]) -> dict[Any, Any]:
    gone = set(keys)
    return {k: v for k, v in mapping.items() if k not in gone}
