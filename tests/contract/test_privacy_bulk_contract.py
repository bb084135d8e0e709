"""The set-based half of the Privacy port (privacy_bulk.py), on memory, SQLite and PostgreSQL:
a batch of bookings' trails read in one go, and card references erased all or nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bookiji_core import (
    Booking,
    BookingId,
    CustomerId,
    Interval,
    Money,
    OutboxMessage,
    QuoteId,
    VendorId,
)
from bookiji_core.errors import ConcurrentUpdate
from bookiji_core.ledger import LedgerEntry, LedgerKind
from bookiji_core.ports import UnitOfWork
from bookiji_core.privacy import ERASED
from tests.conftest import Storage
from tests.contract.test_privacy_contract import NOW, audit, read, write

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
