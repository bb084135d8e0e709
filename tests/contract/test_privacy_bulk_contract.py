"""The set-based half of the Privacy port (privacy_bulk.py), on memory, SQLite and PostgreSQL:
a batch of bookings' trails read in one go, and card references erased all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from bookiji_core import (
    AuditEntry,
    Booking,
    BookingId,
    CustomerId,
    Interval,
    Money,
    OutboxMessage,
    Quote,
    QuoteId,
    VendorId,
)
from bookiji_core.errors import ConcurrentUpdate
from bookiji_core.ledger import LedgerEntry, LedgerKind
from bookiji_core.ports import UnitOfWork
from bookiji_core.privacy import ERASED
from tests.conftest import Storage
from tests.contract.test_privacy_contract import NOW, audit, quote, read, write

FEE = Money("CAD", 100)


def booking(n: int) -> Booking:
    return Booking.place(
        booking_id=BookingId(f"bk_{n}"),
        quote_id=QuoteId(f"q_{n}"),
        customer_id=CustomerId("c1"),
        vendor_id=VendorId("v1"),
        interval=Interval.starting(NOW + timedelta(hours=n), 60),
        price=Money("CAD", 4500),
        commitment_fee=FEE,
        payment_method="pm_card_visa",
        confirm_within=timedelta(minutes=15),
        now=NOW,
    )


def seed(storage: Storage, count: int) -> list[Booking]:
    placed = [booking(n) for n in range(count)]

    def add(uow: UnitOfWork) -> None:
        for b in placed:
            uow.bookings.add(b)
            for reason in ("first", "second"):
                uow.audit.append(audit(b.id, "c1", f"{reason} {b.id}"))
            for command in b.new_commands:
                message = OutboxMessage.queue(f"msg_{b.id}", command, NOW)
                uow.outbox.add(message)
            for kind in (LedgerKind.HOLD, LedgerKind.CAPTURE):
                entry = LedgerEntry(b.id, f"pi_{b.id}", kind, FEE, f"ref_{kind.value}_{b.id}", NOW)
                uow.ledger.append(entry)

    write(storage, add)
    return placed


def test_a_batch_of_trails_reads_as_one_booking_at_a_time(storage: Storage) -> None:
    ids = [b.id for b in seed(storage, 7)] + [BookingId("bk_none")]

    def each(uow: UnitOfWork, name: str) -> dict[BookingId, list[object]]:
        repo = getattr(uow, name)
        return {i: repo.for_booking(i) for i in ids}

    for bulk, single in (("audit_of", "audit"), ("outbox_of", "outbox"), ("ledger_of", "ledger")):
        batched = read(storage, lambda uow, b=bulk: dict(getattr(uow.privacy, b)(ids)))
        assert batched == read(storage, lambda uow, s=single: each(uow, s)), bulk
        assert batched[BookingId("bk_none")] == []
    audits = read(storage, lambda uow: uow.privacy.audit_of(ids))
    assert [e.reason for e in audits[BookingId("bk_3")]] == ["first bk_3", "second bk_3"]


def test_card_references_are_erased_in_a_batch_and_versions_move_on(storage: Storage) -> None:
    placed = seed(storage, 3)
    stored = read(storage, lambda uow: [uow.bookings.get(b.id) for b in placed])

    write(storage, lambda uow: uow.privacy.erase_payment_methods(stored[:2], ERASED))

    after = read(storage, lambda uow: [uow.bookings.get(b.id) for b in placed])
    assert [b.payment_method for b in after if b] == [ERASED, ERASED, "pm_card_visa"]
    assert [b.version for b in after if b] == [s.version for s in stored if s]
    assert [s.payment_method for s in stored if s][:2] == [ERASED, ERASED]


def test_a_booking_changed_meanwhile_refuses_the_whole_batch(storage: Storage) -> None:
    placed = seed(storage, 3)
    stale = read(storage, lambda uow: [uow.bookings.get(b.id) for b in placed])
    fresh = read(storage, lambda uow: uow.bookings.get(BookingId("bk_1")))
    assert fresh is not None
    fresh.payment_method = "pm_card_mastercard"
    write(storage, lambda uow: uow.bookings.update(fresh))

    with pytest.raises(ConcurrentUpdate):
        write(storage, lambda uow: uow.privacy.erase_payment_methods(stale, ERASED))

    after = read(storage, lambda uow: [uow.bookings.get(b.id) for b in placed])
    assert [b.payment_method for b in after if b] == [
        "pm_card_visa",
        "pm_card_mastercard",
        "pm_card_visa",
    ]


# --- the export's set-based read ----------------------------------------------------------------
# What `_collect` built before it read rows instead of domain objects (privacy_records.py at
# 42ca15b), written out here so that a change of either side shows as a difference.


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _money(m: Money) -> dict[str, Any]:
    return {"amount": m.amount, "currency": m.currency}


def _old_booking(b: Booking, *, own_payments: bool) -> dict[str, Any]:
    found: dict[str, Any] = {
        "booking_id": b.id,
        "quote_id": b.quote_id,
        "customer_id": b.customer_id,
        "provider_id": b.vendor_id,
        "state": b.state.value,
        "payment_status": b.payment_status.value,
        "start": _iso(b.interval.start),
        "end": _iso(b.interval.end),
        "price": _money(b.price),
        "commitment_fee": _money(b.commitment_fee),
        "payment_intent_id": b.payment_intent_id,
        "hold_expires_at": _iso(b.hold_expires_at),
        "created_at": _iso(b.created_at),
        "updated_at": _iso(b.updated_at),
    }
    if own_payments:
        found["payment_method"] = b.payment_method
    return found


def _old_audit(e: AuditEntry) -> dict[str, Any]:
    return {
        "from_state": e.from_state.value,
        "to_state": e.to_state.value,
        "action": e.action,
        "actor_type": e.actor_type.value,
        "actor_id": e.actor_id,
        "reason": e.reason,
        "at": _iso(e.at),
    }


def _old_outbox(m: OutboxMessage) -> dict[str, Any]:
    return {
        "message_id": m.id,
        "action": m.command.action.value,
        "amount": _money(m.command.amount),
        "state": m.state.value,
        "attempts": m.attempts,
        "created_at": _iso(m.created_at),
        "committed_at": _iso(m.committed_at),
        "last_error": m.last_error,
    }


def _old_ledger(e: LedgerEntry) -> dict[str, Any]:
    return {
        "kind": e.kind.value,
        "intent_id": e.intent_id,
        "amount": _money(e.amount),
        "gateway_ref": e.gateway_ref,
        "at": _iso(e.at),
    }


def _old_quote(q: Quote) -> dict[str, Any]:
    r = q.request
    return {
        "quote_id": q.id,
        "service_type": r.service_type,
        "location": {
            "latitude": r.location.latitude,
            "longitude": r.location.longitude,
            "radius_km": r.radius_km,
        },
        "start": _iso(r.interval.start),
        "end": _iso(r.interval.end),
        "candidates": [
            {
                "provider_id": c.vendor_id,
                "price": _money(c.price),
                "eta_minutes": c.eta_minutes,
                "zone": c.zone,
                "distance_km": c.distance_km,
                "score": c.score,
            }
            for c in q.candidates
        ],
        "price": _money(q.price),
        "eta_minutes": q.eta_minutes,
        "commitment_fee": _money(q.commitment_fee),
        "created_at": _iso(q.created_at),
        "expires_at": _iso(q.expires_at),
    }


def _old_bookings(uow: UnitOfWork, own_payments: bool, **owner: Any) -> list[dict[str, Any]]:
    found = uow.bookings.list_for(limit=1_000_000, **owner)
    found.sort(key=lambda b: (b.created_at, b.id))
    ids = [b.id for b in found]
    audit_of, outbox_of, ledger_of = (
        uow.privacy.audit_of(ids),
        uow.privacy.outbox_of(ids),
        uow.privacy.ledger_of(ids),
    )
    records = []
    for b in found:
        item = _old_booking(b, own_payments=own_payments)
        item["audit"] = [_old_audit(e) for e in audit_of[b.id]]
        if own_payments:
            item["payment_messages"] = [_old_outbox(m) for m in outbox_of[b.id]]
            item["ledger"] = [_old_ledger(e) for e in ledger_of[b.id]]
        records.append(item)
    return records


MANY = 300  # a frequent customer, kept fast: the 10,000 are bench/privacy_scale.py's


def test_the_export_of_many_bookings_equals_the_object_by_object_export(storage: Storage) -> None:
    placed = seed(storage, MANY)
    changed = placed[7]  # a trail that moved on: a later state, an error, a second hold
    other = attrs.evolve(booking(MANY + 1), customer_id=CustomerId("c2"), vendor_id=VendorId("v2"))

    def vary(uow: UnitOfWork) -> None:
        stored = uow.bookings.get(changed.id)
        assert stored is not None
        stored.updated_at = NOW + timedelta(minutes=3, microseconds=120)
        stored.payment_intent_id = "pi_7"
        uow.bookings.update(stored)
        uow.bookings.add(other)
        uow.audit.append(audit(other.id, "c2", "someone else"))
        for n in range(5):
            uow.quotes.add(quote(n))
        uow.quotes.add(quote(99, customer="c2"))

    write(storage, vary)

    def both(uow: UnitOfWork) -> tuple[object, object]:
        new = (
            uow.privacy.booking_records(customer_id=CustomerId("c1"), own_payments=True),
            uow.privacy.booking_records(vendor_id=VendorId("v1"), own_payments=False),
            uow.privacy.quote_records(CustomerId("c1")),
        )
        old = (
            _old_bookings(uow, True, customer_id=CustomerId("c1")),
            _old_bookings(uow, False, vendor_id=VendorId("v1")),
            [_old_quote(q) for q in uow.privacy.quotes_of(CustomerId("c1"))],
        )
        return new, old

    new, old = read(storage, both)
    assert new == old
    customer, vendor, quotes = new  # type: ignore[misc]
    assert len(customer) == len(vendor) == MANY
    assert [q["quote_id"] for q in quotes] == [f"q_{n}" for n in range(5)]
    [item] = [b for b in customer if b["booking_id"] == changed.id]
    assert (item["updated_at"], item["payment_intent_id"]) == (
        "2030-01-07T08:03:00.000120Z",
        "pi_7",
    )
    assert [len(item[k]) for k in ("audit", "payment_messages", "ledger")] == [2, 1, 2]
    assert "payment_method" not in vendor[0] and "ledger" not in vendor[0]
