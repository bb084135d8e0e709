"""The Privacy repository's contract, on every storage adapter: memory, SQLite and PostgreSQL.

Tombstones, a person's rows across the schema, and the rewrites the shredder relies on; then
the privacy use cases end to end on each adapter, and concurrent shredders on each.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import attrs
import pytest
from sqlalchemy import text

from bookiji_adapters.sqlalchemy import SqlAlchemyStorage
from bookiji_core import (
    AccessLogEntry,
    ActorType,
    AuditEntry,
    Booking,
    BookingId,
    BookingState,
    Candidate,
    Customer,
    CustomerId,
    Interval,
    Location,
    Money,
    Principal,
    Quote,
    QuoteId,
    QuoteRequest,
    Role,
    Vendor,
    VendorId,
)
from bookiji_core.access import hash_token
from bookiji_core.idempotency import IdempotencyRecord
from bookiji_core.payments import PaymentStatus
from bookiji_core.ports import UnitOfWork
from bookiji_core.privacy import ERASED, SubjectKind, Tombstone, TombstoneState, erase_quote
from bookiji_core.usecases.privacy import export_subject, request_deletion, shred_due
from tests.conftest import Storage

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
HERE = Location(49.2827, -123.1207)
ADMIN = Principal(Role.ADMIN, "adm_privacy")
T = TypeVar("T")


class NoTelemetry:
    def __getattr__(self, _name: str) -> Any:
        return lambda *args, **kwargs: None


def write(storage: Storage, change: Callable[[UnitOfWork], object]) -> None:
    with storage.unit_of_work() as uow:
        change(uow)
        uow.commit()


def read(storage: Storage, query: Callable[[UnitOfWork], T]) -> T:
    with storage.unit_of_work() as uow:
        return query(uow)


def tombstone(subject: str, seconds: int = 0, **changes: Any) -> Tombstone:
    found = Tombstone(
        subject, SubjectKind.CUSTOMER, "adm_privacy", NOW + timedelta(seconds=seconds), "asked"
    )
    return attrs.evolve(found, **changes)


def quote(n: int, customer: str = "c1") -> Quote:
    request = QuoteRequest(
        CustomerId(customer), "haircut", HERE, 10.0, Interval.starting(NOW + timedelta(days=1), 60)
    )
    candidates = (Candidate(VendorId("v1"), Money("CAD", 4500), 15, "Downtown", 1.234, 0.87),)
    return Quote(
        QuoteId(f"q_{n}"),
        request,
        candidates,
        Money("CAD", 4500),
        30,
        Money("CAD", 100),
        NOW + timedelta(seconds=n),
        NOW + timedelta(minutes=15),
        f"intent-{n}",
    )


def audit(booking: str, actor: str, reason: str) -> AuditEntry:
    return AuditEntry(
        BookingId(booking),
        BookingState.QUOTED,
        BookingState.HOLD_PLACED,
        "confirm",
        ActorType.CUSTOMER,
        actor,
        reason,
        NOW,
    )


# --- tombstones -------------------------------------------------------------------------------


def test_a_tombstone_reads_back_as_added_and_as_updated(storage: Storage) -> None:
    buried = tombstone("c1")
    write(storage, lambda uow: uow.privacy.add_tombstone(buried))
    assert read(storage, lambda uow: uow.privacy.tombstone("c1")) == buried
    assert read(storage, lambda uow: uow.privacy.tombstone("c2")) is None

    done = attrs.evolve(buried, state=TombstoneState.SHREDDED, shredded_at=NOW + timedelta(1))
    write(storage, lambda uow: uow.privacy.update_tombstone(done))
    assert read(storage, lambda uow: uow.privacy.tombstone("c1")) == done


def test_pending_tombstones_come_oldest_first_without_the_shredded_ones(storage: Storage) -> None:
    shredded = tombstone("c0", 0, state=TombstoneState.SHREDDED, shredded_at=NOW)
    stones = [shredded, tombstone("c3", 3), tombstone("c1", 1), tombstone("c2", 2)]
    write(storage, lambda uow: [uow.privacy.add_tombstone(t) for t in stones])

    pending = read(storage, lambda uow: uow.privacy.pending(10))

    assert [t.subject_id for t in pending] == ["c1", "c2", "c3"]
    assert [t.subject_id for t in read(storage, lambda uow: uow.privacy.pending(2))] == [
        "c1",
        "c2",
    ]


def test_only_a_pending_tombstone_can_be_claimed(storage: Storage) -> None:
    shredded = tombstone("c2", state=TombstoneState.SHREDDED, shredded_at=NOW)
    write(storage, lambda uow: [uow.privacy.add_tombstone(t) for t in (tombstone("c1"), shredded)])

    assert read(storage, lambda uow: uow.privacy.claim("c1")) == tombstone("c1")
    assert read(storage, lambda uow: uow.privacy.claim("c2")) is None
    assert read(storage, lambda uow: uow.privacy.claim("c3")) is None


@pytest.mark.postgres
def test_a_tombstone_claimed_by_one_shredder_is_skipped_by_another(
    postgres_storage: Storage,
) -> None:
    storage = postgres_storage
    write(storage, lambda uow: uow.privacy.add_tombstone(tombstone("c1")))
    with storage.unit_of_work() as first:
        assert first.privacy.claim("c1") is not None
        # A second transaction does not wait for the first: it moves on.
        assert read(storage, lambda uow: uow.privacy.claim("c1")) is None
    assert read(storage, lambda uow: uow.privacy.claim("c1")) is not None


# --- a person's rows --------------------------------------------------------------------------


def test_a_customers_quotes_are_theirs_only_oldest_first(storage: Storage) -> None:
    quotes = [quote(2), quote(1), quote(3, customer="c2")]
    write(storage, lambda uow: [uow.quotes.add(q) for q in quotes])

    found = read(storage, lambda uow: uow.privacy.quotes_of(CustomerId("c1")))

    assert found == [quotes[1], quotes[0]]


def test_a_replaced_quote_reads_back_erased_and_others_are_untouched(storage: Storage) -> None:
    write(storage, lambda uow: [uow.quotes.add(q) for q in (quote(1), quote(2))])
    erased = erase_quote(quote(1))

    write(storage, lambda uow: uow.privacy.replace_quotes([erased]))

    assert read(storage, lambda uow: uow.quotes.get(QuoteId("q_1"))) == erased
    assert read(storage, lambda uow: uow.quotes.get(QuoteId("q_2"))) == quote(2)
    assert erased.request.location == Location(49.3, -123.1)


def test_a_vendors_windows_are_all_of_them_in_time_order(storage: Storage) -> None:
    vendor = Vendor(
        VendorId("v1"),
        "V",
        "v@example.test",
        "+1",
        "1 Main St",
        HERE,
        "Downtown",
        frozenset({"haircut"}),
        Money("CAD", 4000),
        rating=4.5,
        response_minutes=10,
    )
    late = Interval.starting(NOW + timedelta(days=30), 60)
    early = Interval.starting(NOW - timedelta(days=30), 60)

    def add(uow: UnitOfWork) -> None:
        uow.vendors.add(vendor)
        uow.vendors.add_window(vendor.id, late)
        uow.vendors.add_window(vendor.id, early)

    write(storage, add)

    assert read(storage, lambda uow: uow.privacy.windows_of(vendor.id)) == [early, late]
    assert read(storage, lambda uow: uow.privacy.windows_of(VendorId("v2"))) == []


def test_revoking_removes_every_login_of_the_subject_and_no_other(storage: Storage) -> None:
    alice = Principal(Role.CUSTOMER, "c1")

    def add(uow: UnitOfWork) -> None:
        uow.principals.add(hash_token("a1"), alice)
        uow.principals.add(hash_token("a2"), alice)
        uow.principals.add(hash_token("b1"), Principal(Role.CUSTOMER, "c2"))

    write(storage, add)
    assert read(storage, lambda uow: uow.privacy.principals_of("c1")) == [alice, alice]

    with storage.unit_of_work() as uow:
        assert uow.privacy.revoke_principals("c1") == 2
        uow.commit()

    assert read(storage, lambda uow: uow.principals.by_token_hash(hash_token("a1"))) is None
    assert read(storage, lambda uow: uow.principals.by_token_hash(hash_token("b1"))) is not None
    assert read(storage, lambda uow: uow.privacy.revoke_principals("c1")) == 0


def test_a_subjects_idempotency_keys_are_found_by_scope(storage: Storage) -> None:
    mine = [IdempotencyRecord.start("c1", key, "fp", NOW) for key in ("k2", "k1")]
    theirs = IdempotencyRecord.start("c2", "k1", "fp", NOW)
    write(storage, lambda uow: [uow.idempotency.insert(r) for r in [*mine, theirs]])

    found = read(storage, lambda uow: uow.privacy.idempotency_of("c1"))

    assert found == [mine[1], mine[0]]


def test_erasing_audit_reasons_touches_only_the_actors_rows(storage: Storage) -> None:
    entries = [audit("bk_1", "c1", "call me"), audit("bk_1", "v1", "ok"), audit("bk_2", "c1", "x")]
    write(storage, lambda uow: [uow.audit.append(e) for e in entries])

    with storage.unit_of_work() as uow:
        assert uow.privacy.erase_audit_reasons("c1", ERASED) == 2
        uow.commit()

    trail = read(storage, lambda uow: uow.audit.for_booking(BookingId("bk_1")))
    assert [(e.actor_id, e.reason) for e in trail] == [("c1", ERASED), ("v1", "ok")]
    assert read(storage, lambda uow: uow.privacy.erase_audit_reasons("c1", ERASED)) == 0


# --- the use cases on each adapter ------------------------------------------------------------


def seed_customer_with_booking(storage: Storage, status: PaymentStatus) -> None:
    booking = Booking.place(
        booking_id=BookingId("bk_1"),
        quote_id=QuoteId("q_1"),
        customer_id=CustomerId("c1"),
        vendor_id=VendorId("v1"),
        interval=Interval.starting(NOW + timedelta(days=1), 60),
        price=Money("CAD", 4500),
        commitment_fee=Money("CAD", 100),
        payment_method="pm_card_visa",
        confirm_within=timedelta(minutes=15),
        now=NOW,
    )
    booking.payment_status = status

    def add(uow: UnitOfWork) -> None:
        uow.customers.add(Customer(CustomerId("c1"), "Alice A", "alice@example.test", "+1 555"))
        uow.principals.add(hash_token("alice"), Principal(Role.CUSTOMER, "c1"))
        uow.quotes.add(quote(1))
        uow.bookings.add(booking)
        for entry in booking.new_audit:
            uow.audit.append(entry)

    write(storage, add)


class SteppingClock:
    def __init__(self) -> None:
        self.at = NOW

    def now(self) -> datetime:
        return self.at


def test_delete_then_shred_erases_the_person_and_keeps_the_booking(storage: Storage) -> None:
    seed_customer_with_booking(storage, PaymentStatus.HELD)
    clock = SteppingClock()

    request_deletion("c1", ADMIN, "asked by email", storage.unit_of_work(), clock)
    clock.at += timedelta(seconds=2)
    report = shred_due(storage.unit_of_work(), clock, NoTelemetry())

    assert report.shredded == ("c1",)
    export = export_subject("c1", ADMIN, storage.unit_of_work(), clock, NoTelemetry())
    assert export["profile"] == {"id": "c1", "name": ERASED, "email": ERASED, "phone": ERASED}
    [booking] = export["bookings"]
    assert (booking["booking_id"], booking["payment_method"]) == ("bk_1", ERASED)
    assert export["deletion"]["state"] == "shredded"
    assert export["deletion"]["shredded_at"] == "2030-01-07T08:00:02Z"
    assert export["logins"] == []
    log = read(storage, lambda uow: uow.access_log.for_subject("c1"))
    assert [(e.purpose, e.actor_id) for e in log] == [
        ("privacy.delete", "adm_privacy"),
        ("privacy.delete", "system:shredder"),
        ("privacy.export", "adm_privacy"),
    ]


def test_the_shredder_keeps_a_card_reference_until_its_hold_is_placed(storage: Storage) -> None:
    seed_customer_with_booking(storage, PaymentStatus.HOLD_PENDING)
    clock = SteppingClock()
    request_deletion("c1", ADMIN, "asked", storage.unit_of_work(), clock)

    report = shred_due(storage.unit_of_work(), clock, NoTelemetry())

    assert report.waiting == ("c1",)
    booking = read(storage, lambda uow: uow.bookings.get(BookingId("bk_1")))
    assert booking is not None and booking.payment_method == "pm_card_visa"
    customer = read(storage, lambda uow: uow.customers.get(CustomerId("c1")))
    assert customer is not None and customer.email == ERASED
    assert read(storage, lambda uow: uow.privacy.tombstone("c1")).pending  # type: ignore[union-attr]


def test_concurrent_shredders_shred_each_subject_once(storage: Storage) -> None:
    subjects = [f"c{n}" for n in range(1, 13)]

    def add(uow: UnitOfWork) -> None:
        for s in subjects:
            uow.customers.add(Customer(CustomerId(s), f"Name {s}", f"{s}@example.test", "+1"))

    write(storage, add)
    for s in subjects:
        request_deletion(s, ADMIN, "cohort ended", storage.unit_of_work(), SteppingClock())
    shredded: list[str] = []
    lock = threading.Lock()

    def shredder() -> None:
        report = shred_due(storage.unit_of_work(), SteppingClock(), NoTelemetry())
        with lock:
            shredded.extend(report.shredded)

    threads = [threading.Thread(target=shredder) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sorted(shredded) == sorted(subjects)  # each exactly once
    log: list[AccessLogEntry] = read(storage, lambda uow: uow.access_log.for_subject("c1"))
    assert [e.actor_id for e in log].count("system:shredder") == 1


@pytest.mark.postgres
def test_on_postgres_a_shred_vacuums_the_tables_it_rewrote(
    postgres_storage: SqlAlchemyStorage,
) -> None:
    seed_customer_with_booking(postgres_storage, PaymentStatus.HELD)
    clock = SteppingClock()
    request_deletion("c1", ADMIN, "asked by email", postgres_storage.unit_of_work(), clock)
    with postgres_storage.engine.connect() as conn:
        before = conn.execute(VACUUMS).scalar_one()

    assert shred_due(postgres_storage.unit_of_work(), clock, NoTelemetry()).shredded == ("c1",)

    after = before
    for _ in range(50):  # a backend reports its statistics within a second or so
        with postgres_storage.engine.connect() as conn:
            after = conn.execute(VACUUMS).scalar_one()
        if after > before:
            break
        time.sleep(0.1)
    assert after > before  # VACUUM (not only autovacuum) visited customers, bookings, quotes


VACUUMS = text(
    "SELECT coalesce(sum(vacuum_count), 0) FROM pg_stat_user_tables "
    "WHERE relname IN ('customers', 'bookings', 'quotes')"
)
