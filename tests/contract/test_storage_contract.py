"""The storage ports' contract, run against every adapter: memory, SQLite and PostgreSQL.

Whatever the in-memory fake does, the databases must do too; where only a real database can
show a guarantee (it refuses a raw UPDATE of the access log), the test takes `sql_storage`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import TypeVar

import attrs
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bookiji_adapters.maps import GridMapProvider
from bookiji_adapters.memory import ManualClock, SequentialIds
from bookiji_adapters.sqlalchemy import SqlAlchemyStorage
from bookiji_adapters.sqlalchemy.tables import bookings as bookings_table
from bookiji_core import (
    AccessLogEntry,
    Actor,
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
    OutboxMessage,
    OutboxState,
    PaymentAction,
    PaymentStatus,
    Principal,
    Quote,
    QuoteId,
    QuotePolicy,
    QuoteRequest,
    Role,
    VendorId,
)
from bookiji_core.errors import (
    ConcurrentUpdate,
    IdempotencyConflict,
    IdempotencyInProgress,
    SlotTaken,
)
from bookiji_core.idempotency import IdempotencyRecord, KeyState
from bookiji_core.ledger import LedgerEntry, LedgerKind
from bookiji_core.payments import PaymentCommand
from bookiji_core.ports import UnitOfWork
from bookiji_core.usecases import (
    ConfirmBooking,
    auto_cancel_due,
    cancel_booking,
    confirm_booking,
    request_quote,
)
from bookiji_core.values import Area
from bookiji_core.webhooks import ReceivedEvent
from tests.conftest import Storage
from tests.unit.conftest import HERE, NOW, make_vendor

VANCOUVER = timezone(timedelta(hours=-8))
CAD = "CAD"
T = TypeVar("T")


# --- builders -------------------------------------------------------------------------------


def slot(hour: int, minutes: int = 60, day: int = 1) -> Interval:
    """An interval on day `day` after NOW, starting at `hour`:00 UTC."""
    start = NOW.replace(hour=hour) + timedelta(days=day)
    return Interval.starting(start, minutes)


def make_booking(
    n: int, vendor: str = "v1", at: Interval | None = None, **changes: object
) -> Booking:
    booking = Booking.place(
        booking_id=BookingId(f"bk_{n}"),
        quote_id=QuoteId(f"q_{n}"),
        customer_id=CustomerId("c1"),
        vendor_id=VendorId(vendor),
        interval=at or slot(10),
        price=Money(CAD, 4500),
        commitment_fee=Money(CAD, 100),
        payment_method="pm_card_visa",
        confirm_within=timedelta(minutes=15),
        now=NOW,
    )
    return attrs.evolve(booking, **changes)


def make_message(
    n: int, *, due: datetime = NOW, booking: str = "bk_1", sequence: int = 1, **changes: object
) -> OutboxMessage:
    command = PaymentCommand(
        BookingId(booking), PaymentAction.PLACE_HOLD, Money(CAD, 100), sequence
    )
    message = OutboxMessage.queue(f"msg_{n:03d}", command, NOW)
    return attrs.evolve(message, next_attempt_at=due, **changes)


def make_quote(n: int = 1, *, expires_at: datetime | None = None, intent: str = "i1") -> Quote:
    request = QuoteRequest(CustomerId("c1"), "haircut", HERE, 10.0, slot(10))
    candidates = tuple(
        Candidate(VendorId(f"v{i}"), Money(CAD, 4500 + i), 15 + i, "Downtown", 1.234, 0.8765)
        for i in (1, 2)
    )
    return Quote(
        id=QuoteId(f"q_{n}"),
        request=request,
        candidates=candidates,
        price=Money(CAD, 4501),
        eta_minutes=31,
        commitment_fee=Money(CAD, 100),
        created_at=NOW + timedelta(seconds=n),
        expires_at=expires_at or NOW + timedelta(minutes=15),
        intent_hash=intent,
    )


def write(storage: Storage, change: Callable[[UnitOfWork], object]) -> None:
    with storage.unit_of_work() as uow:
        change(uow)
        uow.commit()


def read(storage: Storage, query: Callable[[UnitOfWork], T]) -> T:
    with storage.unit_of_work() as uow:
        return query(uow)


# --- vendors and customers ------------------------------------------------------------------


def test_a_vendor_reads_back_exactly_as_it_was_added(storage: Storage) -> None:
    vendor = make_vendor(1, services=frozenset({"haircut", "massage"}), synthetic=True)
    write(storage, lambda uow: uow.vendors.add(vendor))
    assert read(storage, lambda uow: uow.vendors.get(vendor.id)) == vendor
    assert read(storage, lambda uow: uow.vendors.get(VendorId("nobody"))) is None


def test_adding_a_vendor_again_replaces_it(storage: Storage) -> None:
    write(storage, lambda uow: uow.vendors.add(make_vendor(1)))
    changed = make_vendor(1, rating=4.9, services=frozenset({"massage"}))
    write(storage, lambda uow: uow.vendors.add(changed))
    assert read(storage, lambda uow: uow.vendors.get(changed.id)) == changed


def test_vendors_offering_a_service_are_the_well_rated_ones_in_id_order(storage: Storage) -> None:
    vendors = [
        make_vendor(3),
        make_vendor(1, services=frozenset({"haircut", "nails"})),
        make_vendor(2, rating=3.9),
        make_vendor(4, services=frozenset({"massage"})),
    ]
    write(storage, lambda uow: [uow.vendors.add(v) for v in vendors])
    found = read(storage, lambda uow: uow.vendors.offering("haircut", 4.0))
    assert found == [vendors[1], vendors[0]]
    assert read(storage, lambda uow: uow.vendors.offering("haircut", 3.0))[1] == vendors[2]


def test_vendors_offering_within_an_area_are_the_ones_inside_its_box(storage: Storage) -> None:
    # v1..v4 lie 1.1, 2.2, 3.3 and 4.4 km north of HERE; v9 is across the antimeridian.
    vendors = [make_vendor(n) for n in (1, 2, 3, 4)]
    far = make_vendor(9, location=Location(HERE.latitude, 179.98))
    write(storage, lambda uow: [uow.vendors.add(v) for v in [*vendors, far]])
    area = Area(HERE, 3.0)
    found = read(storage, lambda uow: uow.vendors.offering("haircut", 4.0, area))
    assert found == vendors[:2]
    # Across the antimeridian the box spans every longitude: the store may return more than
    # the circle holds (the caller's distance test keeps only `far`), never less.
    date_line = Area(Location(HERE.latitude, -179.95), 10.0)
    found = read(storage, lambda uow: uow.vendors.offering("haircut", 4.0, date_line))
    assert [v for v in found if date_line.contains(v.location)] == [far]


def test_a_changed_vendor_is_offered_as_it_is_now(storage: Storage) -> None:
    write(storage, lambda uow: uow.vendors.add(make_vendor(1)))
    assert read(storage, lambda uow: uow.vendors.offering("haircut", 4.0))[0].rating == 4.5
    moved = make_vendor(1, rating=4.9, zone="Kitsilano", services=frozenset({"haircut", "nails"}))
    write(storage, lambda uow: uow.vendors.add(moved))
    assert read(storage, lambda uow: uow.vendors.offering("haircut", 4.0, Area(HERE, 5.0))) == [
        moved
    ]


def test_windows_are_the_ones_overlapping_the_interval_for_each_vendor_asked(
    storage: Storage,
) -> None:
    morning, evening, touching = slot(9, 120), slot(18, 60), slot(12, 60)
    other_day = slot(9, 60, day=2)

    def add(uow: UnitOfWork) -> None:
        for n in (1, 2, 3):
            uow.vendors.add(make_vendor(n))
        for window in (morning, evening, touching, other_day):
            uow.vendors.add_window(VendorId("v1"), window)
        uow.vendors.add_window(VendorId("v2"), morning)

    write(storage, add)
    ids = [VendorId("v1"), VendorId("v2"), VendorId("v3")]
    found = read(storage, lambda uow: uow.vendors.windows(ids, slot(10, 120)))
    assert {vid: sorted(ws, key=lambda w: w.start) for vid, ws in found.items()} == {
        "v1": [morning],  # [12:00, 13:00) only touches [10:00, 12:00): not an overlap
        "v2": [morning],
        "v3": [],
    }
    assert read(storage, lambda uow: uow.vendors.windows([], slot(10))) == {}


def test_a_customer_reads_back_as_added_and_adding_again_replaces_it(storage: Storage) -> None:
    alice = Customer(CustomerId("c1"), "Alice", "alice@example.test", "+1 604 555 0101", True)
    write(storage, lambda uow: uow.customers.add(alice))
    assert read(storage, lambda uow: uow.customers.get(alice.id)) == alice
    renamed = attrs.evolve(alice, name="Alice B.")
    write(storage, lambda uow: uow.customers.add(renamed))
    assert read(storage, lambda uow: uow.customers.get(alice.id)) == renamed
    assert read(storage, lambda uow: uow.customers.get(CustomerId("nobody"))) is None


# --- quotes ---------------------------------------------------------------------------------


def test_a_quote_reads_back_with_its_ranked_candidates(storage: Storage) -> None:
    quote = make_quote()
    write(storage, lambda uow: uow.quotes.add(quote))
    assert read(storage, lambda uow: uow.quotes.get(quote.id)) == quote
    assert read(storage, lambda uow: uow.quotes.get(QuoteId("q_none"))) is None


def test_the_live_quote_for_an_intent_is_the_newest_unexpired_one(storage: Storage) -> None:
    old, new = make_quote(1), make_quote(2)
    expired = make_quote(3, expires_at=NOW + timedelta(minutes=1))
    other = make_quote(4, intent="i2")
    write(storage, lambda uow: [uow.quotes.add(q) for q in (old, new, expired, other)])
    assert read(storage, lambda uow: uow.quotes.live_by_intent("i1", NOW)) == expired
    later = NOW + timedelta(minutes=1)  # expired is dead the instant it expires
    assert read(storage, lambda uow: uow.quotes.live_by_intent("i1", later)) == new
    gone = NOW + timedelta(minutes=20)
    assert read(storage, lambda uow: uow.quotes.live_by_intent("i1", gone)) is None
    assert read(storage, lambda uow: uow.quotes.live_by_intent("i9", NOW)) is None


# --- bookings -------------------------------------------------------------------------------


def test_a_booking_reads_back_as_added_at_version_one(storage: Storage) -> None:
    booking = make_booking(1, synthetic=True, payment_intent_id="pi_1")
    write(storage, lambda uow: uow.bookings.add(booking))
    assert booking.version == 1
    stored = read(storage, lambda uow: uow.bookings.get(booking.id))
    assert stored == booking
    assert read(storage, lambda uow: uow.bookings.get(booking.id, for_update=True)) == booking
    assert read(storage, lambda uow: uow.bookings.get(BookingId("bk_none"))) is None


def test_money_beyond_32_bits_round_trips(storage: Storage) -> None:
    booking = make_booking(1, price=Money(CAD, 3_000_000_000_00))
    write(storage, lambda uow: uow.bookings.add(booking))
    assert read(storage, lambda uow: uow.bookings.get(booking.id)) == booking


def test_bookings_read_together_are_the_ones_that_exist_by_id(storage: Storage) -> None:
    write(storage, lambda uow: [uow.bookings.add(make_booking(n, vendor=f"v{n}")) for n in (1, 2)])
    wanted = [BookingId("bk_2"), BookingId("bk_404"), BookingId("bk_1"), BookingId("bk_2")]
    for for_update in (False, True):
        found = read(storage, lambda uow, f=for_update: uow.bookings.get_many(wanted, for_update=f))
        assert sorted(found) == ["bk_1", "bk_2"]
        assert found[BookingId("bk_1")] == read(
            storage, lambda uow: uow.bookings.get(BookingId("bk_1"))
        )
    assert read(storage, lambda uow: uow.bookings.get_many([])) == {}


def test_an_update_saves_the_changes_and_moves_the_version_on(storage: Storage) -> None:
    booking = make_booking(1)
    write(storage, lambda uow: uow.bookings.add(booking))
    booking.confirm_by_provider(Actor(ActorType.VENDOR, "v1"), NOW + timedelta(minutes=1))
    write(storage, lambda uow: uow.bookings.update(booking))
    assert booking.version == 2
    stored = read(storage, lambda uow: uow.bookings.get(booking.id))
    assert stored == booking
    assert stored is not None and stored.state is BookingState.PROVIDER_CONFIRMED


def test_an_update_from_a_stale_copy_is_refused_as_a_concurrent_update(storage: Storage) -> None:
    write(storage, lambda uow: uow.bookings.add(make_booking(1)))
    first = read(storage, lambda uow: uow.bookings.get(BookingId("bk_1")))
    second = read(storage, lambda uow: uow.bookings.get(BookingId("bk_1")))
    assert first is not None and second is not None
    first.cancel(Actor(ActorType.CUSTOMER, "c1"), NOW, "changed my mind")
    write(storage, lambda uow: uow.bookings.update(first))
    second.confirm_by_provider(Actor(ActorType.VENDOR, "v1"), NOW)
    with pytest.raises(ConcurrentUpdate):
        write(storage, lambda uow: uow.bookings.update(second))
    stored = read(storage, lambda uow: uow.bookings.get(BookingId("bk_1")))
    assert stored is not None and stored.state is BookingState.CANCELLED and stored.version == 2


def test_updating_a_booking_that_was_never_added_is_a_concurrent_update(storage: Storage) -> None:
    with pytest.raises(ConcurrentUpdate):
        write(storage, lambda uow: uow.bookings.update(make_booking(1)))


def test_two_overlapping_bookings_for_one_vendor_are_refused(storage: Storage) -> None:
    write(storage, lambda uow: uow.bookings.add(make_booking(1, at=slot(10, 60))))
    with pytest.raises(SlotTaken):
        write(storage, lambda uow: uow.bookings.add(make_booking(2, at=slot(10, 30))))
    with pytest.raises(SlotTaken):
        write(storage, lambda uow: uow.bookings.add(make_booking(3, at=slot(9, 90))))
    assert read(storage, lambda uow: uow.bookings.get(BookingId("bk_2"))) is None


def test_adjacent_slots_other_vendors_and_cancelled_bookings_do_not_conflict(
    storage: Storage,
) -> None:
    cancelled = make_booking(1, at=slot(10), state=BookingState.CANCELLED)
    write(storage, lambda uow: uow.bookings.add(cancelled))
    write(storage, lambda uow: uow.bookings.add(make_booking(2, at=slot(10))))
    write(storage, lambda uow: uow.bookings.add(make_booking(3, at=slot(11))))  # [11, 12)
    write(storage, lambda uow: uow.bookings.add(make_booking(4, at=slot(9))))  # [9, 10)
    write(storage, lambda uow: uow.bookings.add(make_booking(5, vendor="v2", at=slot(10))))
    found = read(storage, lambda uow: uow.bookings.list_for(limit=10))
    assert len(found) == 5


def test_a_refused_booking_leaves_the_transaction_usable(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        uow.bookings.add(make_booking(1))
        with pytest.raises(SlotTaken):
            uow.bookings.add(make_booking(2))
        uow.bookings.add(make_booking(3, at=slot(14)))
        uow.commit()
    assert [b.id for b in read(storage, lambda uow: uow.bookings.list_for())] == ["bk_3", "bk_1"]


def test_an_update_that_would_reactivate_a_taken_slot_is_refused(storage: Storage) -> None:
    write(storage, lambda uow: uow.bookings.add(make_booking(1)))
    old = make_booking(2, state=BookingState.CANCELLED)
    write(storage, lambda uow: uow.bookings.add(old))
    revived = attrs.evolve(old, state=BookingState.HOLD_PLACED)
    with pytest.raises(SlotTaken):
        write(storage, lambda uow: uow.bookings.update(revived))


def test_an_update_that_moves_a_booking_onto_a_taken_slot_or_vendor_is_refused(
    storage: Storage,
) -> None:
    write(storage, lambda uow: uow.bookings.add(make_booking(1)))
    write(storage, lambda uow: uow.bookings.add(make_booking(2, at=slot(12))))
    write(storage, lambda uow: uow.bookings.add(make_booking(3, vendor="v2")))
    stored = read(storage, lambda uow: [uow.bookings.get(BookingId(f"bk_{n}")) for n in (2, 3)])
    moved, other_vendor = stored
    assert moved is not None and other_vendor is not None

    with pytest.raises(SlotTaken):
        write(storage, lambda uow: uow.bookings.update(attrs.evolve(moved, interval=slot(10))))
    with pytest.raises(SlotTaken):
        changed = attrs.evolve(other_vendor, vendor_id=VendorId("v1"))
        write(storage, lambda uow: uow.bookings.update(changed))
    # Another column of an active booking changes freely (the check is about the slot).
    write(storage, lambda uow: uow.bookings.update(attrs.evolve(moved, payment_method="pm_x")))


def test_a_cancellation_frees_the_slot_for_a_new_booking(storage: Storage) -> None:
    first = make_booking(1)
    write(storage, lambda uow: uow.bookings.add(first))
    first.cancel(Actor(ActorType.CUSTOMER, "c1"), NOW, "plans changed")
    write(storage, lambda uow: uow.bookings.update(first))
    write(storage, lambda uow: uow.bookings.add(make_booking(2)))
    assert read(storage, lambda uow: uow.bookings.get(BookingId("bk_2"))) is not None


def test_busy_lists_the_active_bookings_overlapping_the_interval_per_vendor(
    storage: Storage,
) -> None:
    def add(uow: UnitOfWork) -> None:
        uow.bookings.add(make_booking(1, at=slot(10)))
        uow.bookings.add(make_booking(2, at=slot(8, 90)))  # [8:00, 9:30)
        uow.bookings.add(make_booking(3, at=slot(11), state=BookingState.CANCELLED))
        uow.bookings.add(make_booking(6, vendor="v2", at=slot(7, 120)))  # ends at the start
        uow.bookings.add(make_booking(4, at=slot(12)))  # starts where the interval ends
        uow.bookings.add(make_booking(5, vendor="v2", at=slot(11)))

    write(storage, add)
    ids = [VendorId("v1"), VendorId("v2"), VendorId("v3")]
    found = read(storage, lambda uow: uow.bookings.busy(ids, slot(9, 180)))
    assert {vid: sorted(ws, key=lambda w: w.start) for vid, ws in found.items()} == {
        "v1": [slot(8, 90), slot(10)],
        "v2": [slot(11)],
        "v3": [],
    }


def test_bookings_are_listed_newest_first_per_customer_or_vendor(storage: Storage) -> None:
    def add(uow: UnitOfWork) -> None:
        for n in range(1, 6):
            created = NOW + timedelta(minutes=n)
            customer = CustomerId("c1" if n % 2 else "c2")
            uow.bookings.add(
                make_booking(
                    n,
                    vendor="v1" if n < 4 else "v2",
                    at=slot(n),
                    customer_id=customer,
                    created_at=created,
                )
            )

    write(storage, add)

    def ids(found: list[Booking]) -> list[str]:
        return [b.id for b in found]

    assert ids(read(storage, lambda uow: uow.bookings.list_for())) == [
        "bk_5",
        "bk_4",
        "bk_3",
        "bk_2",
        "bk_1",
    ]
    c1 = CustomerId("c1")
    assert ids(read(storage, lambda uow: uow.bookings.list_for(customer_id=c1))) == [
        "bk_5",
        "bk_3",
        "bk_1",
    ]
    v2 = VendorId("v2")
    assert ids(read(storage, lambda uow: uow.bookings.list_for(vendor_id=v2))) == ["bk_5", "bk_4"]
    both = read(storage, lambda uow: uow.bookings.list_for(customer_id=c1, vendor_id=v2, limit=1))
    assert ids(both) == ["bk_5"]


def test_bookings_due_for_auto_cancel_are_unconfirmed_holds_past_their_deadline(
    storage: Storage,
) -> None:
    deadline = NOW + timedelta(minutes=15)

    def add(uow: UnitOfWork) -> None:
        uow.bookings.add(make_booking(1, at=slot(9), hold_expires_at=deadline))
        uow.bookings.add(make_booking(2, at=slot(10), hold_expires_at=deadline - timedelta(1)))
        uow.bookings.add(make_booking(3, at=slot(11), hold_expires_at=deadline + timedelta(1)))
        uow.bookings.add(make_booking(4, at=slot(12), state=BookingState.PROVIDER_CONFIRMED))

    write(storage, add)
    due = read(storage, lambda uow: uow.bookings.due_for_auto_cancel(deadline, 10))
    assert due == ["bk_2", "bk_1"]
    assert read(storage, lambda uow: uow.bookings.due_for_auto_cancel(deadline, 1)) == ["bk_2"]


# --- audit trail ----------------------------------------------------------------------------


def test_the_audit_trail_of_a_booking_reads_back_in_the_order_written(storage: Storage) -> None:
    def entry(booking: str, action: str, minute: int) -> AuditEntry:
        return AuditEntry(
            BookingId(booking),
            BookingState.QUOTED,
            BookingState.HOLD_PLACED,
            action,
            ActorType.CUSTOMER,
            "c1",
            "because",
            NOW + timedelta(minutes=minute),
        )

    entries = [entry("bk_1", "b", 2), entry("bk_2", "x", 0), entry("bk_1", "a", 1)]
    write(storage, lambda uow: [uow.audit.append(e) for e in entries])
    assert read(storage, lambda uow: uow.audit.for_booking(BookingId("bk_1"))) == [
        entries[0],
        entries[2],
    ]
    assert read(storage, lambda uow: uow.audit.for_booking(BookingId("bk_9"))) == []


# --- outbox ---------------------------------------------------------------------------------


def test_an_outbox_message_reads_back_as_added(storage: Storage) -> None:
    message = attrs.evolve(
        make_message(1),
        command=attrs.evolve(make_message(1).command, intent_id="pi_other"),
        last_error="502",
        attempts=2,
    )
    write(storage, lambda uow: uow.outbox.add(message))
    assert read(storage, lambda uow: uow.outbox.get(message.id)) == message
    assert read(storage, lambda uow: uow.outbox.get(message.id, for_update=True)) == message
    assert read(storage, lambda uow: uow.outbox.get("msg_none")) is None


def test_claim_takes_due_queued_messages_oldest_first_and_leases_them(storage: Storage) -> None:
    messages = [
        make_message(1, due=NOW - timedelta(seconds=5)),
        make_message(2, due=NOW + timedelta(seconds=5)),  # not due yet
        make_message(3, due=NOW - timedelta(seconds=10)),
        make_message(4, due=NOW),  # due exactly now
        make_message(5, due=NOW - timedelta(seconds=20), state=OutboxState.COMMITTED),
        make_message(6, due=NOW - timedelta(seconds=20), state=OutboxState.DLQ),
    ]
    write(storage, lambda uow: [uow.outbox.add(m) for m in messages])
    lease = timedelta(seconds=30)

    def claim(uow: UnitOfWork) -> list[OutboxMessage]:
        return uow.outbox.claim_due(NOW, owner="relay-a", lease=lease, limit=10)

    with storage.unit_of_work() as uow:
        claimed = claim(uow)
        uow.commit()
    assert [m.id for m in claimed] == ["msg_003", "msg_001", "msg_004"]
    for m in claimed:
        assert m.state is OutboxState.IN_FLIGHT
        assert (m.lease_owner, m.lease_until, m.attempts) == ("relay-a", NOW + lease, 1)
        assert read(storage, lambda uow, m=m: uow.outbox.get(m.id)) == m
    assert read(storage, claim) == []  # leased: nobody else gets them


def test_claim_respects_the_limit(storage: Storage) -> None:
    write(storage, lambda uow: [uow.outbox.add(make_message(n)) for n in range(1, 6)])
    with storage.unit_of_work() as uow:
        claimed = uow.outbox.claim_due(NOW, owner="a", lease=timedelta(seconds=30), limit=2)
        uow.commit()
    assert [m.id for m in claimed] == ["msg_001", "msg_002"]


def test_an_expired_lease_is_taken_back_by_the_next_claimer(storage: Storage) -> None:
    write(storage, lambda uow: uow.outbox.add(make_message(1)))
    lease = timedelta(seconds=30)

    def claim(owner: str, at: datetime) -> list[OutboxMessage]:
        with storage.unit_of_work() as uow:
            found = uow.outbox.claim_due(at, owner=owner, lease=lease, limit=5)
            uow.commit()
        return found

    assert [m.lease_owner for m in claim("dead-relay", NOW)] == ["dead-relay"]
    assert claim("relay-b", NOW + timedelta(seconds=29)) == []
    [taken] = claim("relay-b", NOW + lease)
    assert (taken.lease_owner, taken.attempts) == ("relay-b", 2)


def test_concurrent_claimers_never_share_a_message(storage: Storage) -> None:
    write(storage, lambda uow: [uow.outbox.add(make_message(n)) for n in range(1, 41)])
    claimed: dict[str, list[str]] = {}

    def relay(owner: str) -> None:
        mine = claimed.setdefault(owner, [])
        while True:
            with storage.unit_of_work() as uow:
                batch = uow.outbox.claim_due(NOW, owner=owner, lease=timedelta(60), limit=3)
                uow.commit()
            if not batch:
                return
            mine.extend(m.id for m in batch)

    threads = [threading.Thread(target=relay, args=(f"relay-{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    everything = [m for ids in claimed.values() for m in ids]
    assert sorted(everything) == [f"msg_{n:03d}" for n in range(1, 41)]  # each exactly once


def test_renewing_leases_extends_only_the_ones_the_owner_still_holds(storage: Storage) -> None:
    write(storage, lambda uow: [uow.outbox.add(make_message(n)) for n in (1, 2, 3)])
    with storage.unit_of_work() as uow:
        uow.outbox.claim_due(NOW, owner="a", lease=timedelta(seconds=30), limit=2)
        uow.commit()
    until = NOW + timedelta(minutes=5)
    with storage.unit_of_work() as uow:
        held = uow.outbox.renew_leases(["msg_002", "msg_003", "msg_001"], owner="a", until=until)
        assert uow.outbox.renew_leases(["msg_001"], owner="b", until=until) == []
        assert uow.outbox.renew_leases([], owner="a", until=until) == []
        uow.commit()
    assert held == ["msg_002", "msg_001"]
    renewed = read(storage, lambda uow: uow.outbox.get("msg_001"))
    assert renewed is not None and renewed.lease_until == until


def test_an_outbox_update_saves_the_delivery_state(storage: Storage) -> None:
    write(storage, lambda uow: uow.outbox.add(make_message(1)))
    with storage.unit_of_work() as uow:
        [claimed] = uow.outbox.claim_due(NOW, owner="a", lease=timedelta(seconds=30), limit=1)
        uow.commit()
    failed = claimed.fail("502 from provider", NOW, retryable=True)
    write(storage, lambda uow: uow.outbox.update(failed))
    assert read(storage, lambda uow: uow.outbox.get("msg_001")) == failed
    done = failed.commit(NOW + timedelta(seconds=5))
    write(storage, lambda uow: uow.outbox.update(done))
    assert read(storage, lambda uow: uow.outbox.get("msg_001")) == done


def test_outbox_counts_cover_every_state_and_lists_are_oldest_first(storage: Storage) -> None:
    def add(uow: UnitOfWork) -> None:
        uow.outbox.add(attrs.evolve(make_message(1), created_at=NOW + timedelta(seconds=2)))
        uow.outbox.add(attrs.evolve(make_message(2), created_at=NOW + timedelta(seconds=1)))
        uow.outbox.add(make_message(3, state=OutboxState.DLQ))

    write(storage, add)
    counts = read(storage, lambda uow: dict(uow.outbox.counts()))
    assert counts == {
        OutboxState.QUEUED: 2,
        OutboxState.IN_FLIGHT: 0,
        OutboxState.COMMITTED: 0,
        OutboxState.DLQ: 1,
        OutboxState.RESOLVED: 0,
    }
    queued = read(storage, lambda uow: uow.outbox.list_by_state(OutboxState.QUEUED))
    assert [m.id for m in queued] == ["msg_002", "msg_001"]
    one = read(storage, lambda uow: uow.outbox.list_by_state(OutboxState.QUEUED, limit=1))
    assert [m.id for m in one] == ["msg_002"]


def test_a_bookings_outbox_messages_come_in_command_sequence(storage: Storage) -> None:
    def add(uow: UnitOfWork) -> None:
        uow.outbox.add(make_message(1, sequence=2))
        uow.outbox.add(make_message(2, sequence=1))
        uow.outbox.add(make_message(3, booking="bk_2"))

    write(storage, add)
    found = read(storage, lambda uow: uow.outbox.for_booking(BookingId("bk_1")))
    assert [m.id for m in found] == ["msg_002", "msg_001"]


def test_a_batch_reads_its_messages_and_their_bookings_outboxes_in_one_go(
    storage: Storage,
) -> None:
    def add(uow: UnitOfWork) -> None:
        uow.outbox.add(make_message(1, sequence=2))
        uow.outbox.add(make_message(2, sequence=1))
        uow.outbox.add(make_message(3, booking="bk_2"))

    write(storage, add)
    wanted = [BookingId("bk_2"), BookingId("bk_1"), BookingId("bk_9")]
    found = read(storage, lambda uow: uow.outbox.for_bookings(wanted))
    assert {b: [m.id for m in ms] for b, ms in found.items()} == {
        "bk_1": ["msg_002", "msg_001"],
        "bk_2": ["msg_003"],
        "bk_9": [],
    }
    ids = ["msg_003", "msg_001", "msg_404"]
    for for_update in (False, True):
        got = read(storage, lambda uow, f=for_update: uow.outbox.get_many(ids, for_update=f))
        assert got == {
            "msg_001": make_message(1, sequence=2),
            "msg_003": make_message(3, booking="bk_2"),
        }
    assert read(storage, lambda uow: uow.outbox.get_many([])) == {}


# --- idempotency keys -----------------------------------------------------------------------


def test_an_idempotency_key_is_stored_replaced_and_deleted(storage: Storage) -> None:
    record = IdempotencyRecord.start("c1", "key-1", "f" * 64, NOW)
    assert read(storage, lambda uow: uow.idempotency.get("c1", "key-1")) is None
    write(storage, lambda uow: uow.idempotency.insert(record))
    assert read(storage, lambda uow: uow.idempotency.get("c1", "key-1")) == record
    assert read(storage, lambda uow: uow.idempotency.get("c2", "key-1")) is None
    done = attrs.evolve(record, state=KeyState.COMPLETED, booking_id="bk_1")
    write(storage, lambda uow: uow.idempotency.replace(done))
    assert read(storage, lambda uow: uow.idempotency.get("c1", "key-1")) == done
    write(storage, lambda uow: uow.idempotency.delete("c1", "key-1"))
    write(storage, lambda uow: uow.idempotency.delete("c1", "key-1"))  # absent: no error
    assert read(storage, lambda uow: uow.idempotency.get("c1", "key-1")) is None


def test_inserting_a_key_that_exists_is_refused_as_in_progress(storage: Storage) -> None:
    first = IdempotencyRecord.start("c1", "key-1", "a" * 64, NOW)
    write(storage, lambda uow: uow.idempotency.insert(first))
    with storage.unit_of_work() as uow:
        with pytest.raises(IdempotencyInProgress):
            uow.idempotency.insert(IdempotencyRecord.start("c1", "key-1", "b" * 64, NOW))
        uow.idempotency.insert(IdempotencyRecord.start("c1", "key-2", "b" * 64, NOW))
        uow.commit()  # the refusal did not spoil the transaction
    assert read(storage, lambda uow: uow.idempotency.get("c1", "key-1")) == first
    assert read(storage, lambda uow: uow.idempotency.get("c1", "key-2")) is not None


# --- access log and principals --------------------------------------------------------------


def test_the_access_log_keeps_entries_per_subject_in_order_and_cannot_change(
    storage: Storage,
) -> None:
    entries = [
        AccessLogEntry("c1", "adm_1", "support", "booking:bk_1", NOW),
        AccessLogEntry("c2", "adm_1", "support", "booking:bk_2", NOW),
        AccessLogEntry("c1", "c1", "booking.read", "booking:bk_1", NOW + timedelta(1)),
    ]
    write(storage, lambda uow: [uow.access_log.append(e) for e in entries])
    assert read(storage, lambda uow: uow.access_log.for_subject("c1")) == [entries[0], entries[2]]
    assert read(storage, lambda uow: uow.access_log.for_subject("c9")) == []
    with storage.unit_of_work() as uow:
        methods = {name for name in dir(uow.access_log) if not name.startswith("_")}
    assert methods == {"append", "for_subject"}


def test_a_principal_is_found_by_its_token_hash(storage: Storage) -> None:
    write(storage, lambda uow: uow.principals.add("h1", Principal(Role.VENDOR, "v1")))
    assert read(storage, lambda uow: uow.principals.by_token_hash("h1")) == Principal(
        Role.VENDOR, "v1"
    )
    write(storage, lambda uow: uow.principals.add("h1", Principal(Role.ADMIN, "adm")))
    assert read(storage, lambda uow: uow.principals.by_token_hash("h1")) == Principal(
        Role.ADMIN, "adm"
    )
    assert read(storage, lambda uow: uow.principals.by_token_hash("h2")) is None


# --- ledger, webhook inbox, controls --------------------------------------------------------


def test_a_ledger_effect_is_written_once_whoever_sees_it_first(storage: Storage) -> None:
    def entry(booking: str, intent: str, kind: LedgerKind) -> LedgerEntry:
        return LedgerEntry(BookingId(booking), intent, kind, Money(CAD, 100), intent, NOW)

    hold, capture = (
        entry("bk_1", "pi_1", LedgerKind.HOLD),
        entry("bk_1", "pi_1", LedgerKind.CAPTURE),
    )
    with storage.unit_of_work() as uow:
        assert uow.ledger.append(hold) is True
        assert uow.ledger.append(capture) is True
        assert uow.ledger.append(attrs.evolve(hold, at=NOW + timedelta(1))) is False
        assert uow.ledger.append(entry("bk_3", "pi_3", LedgerKind.HOLD)) is True
        assert uow.ledger.append(entry("bk_2", "pi_2", LedgerKind.HOLD)) is True
        uow.commit()
    assert read(storage, lambda uow: uow.ledger.for_booking(BookingId("bk_1"))) == [hold, capture]
    assert read(storage, lambda uow: uow.ledger.booking_ids()) == ["bk_1", "bk_2", "bk_3"]
    assert read(storage, lambda uow: uow.ledger.booking_ids(after="bk_1", limit=1)) == ["bk_2"]


def test_a_recorded_ledger_entry_is_added_once_and_seen_by_its_own_transaction(
    storage: Storage,
) -> None:
    # `record` may wait to go in with the transaction's other entries (the SQL adapters hold
    # it back for one executemany): it must still be added once, and read back at once.
    def entry(intent: str, kind: LedgerKind, at: datetime = NOW) -> LedgerEntry:
        return LedgerEntry(BookingId("bk_1"), intent, kind, Money(CAD, 100), intent, at)

    hold, capture = entry("pi_1", LedgerKind.HOLD), entry("pi_1", LedgerKind.CAPTURE)
    with storage.unit_of_work() as uow:
        uow.ledger.record(hold)
        uow.ledger.record(attrs.evolve(hold, at=NOW + timedelta(1)))  # the same key again
        assert uow.ledger.for_booking(BookingId("bk_1")) == [hold]
        uow.ledger.record(capture)
        assert uow.ledger.append(capture) is False  # `append` knows the held one is there
        uow.commit()
    with storage.unit_of_work() as uow:
        uow.ledger.record(hold)  # in the table already: nothing is added
        uow.ledger.record(entry("pi_2", LedgerKind.HOLD))
        # Leaving without commit: the held entry goes nowhere.
    write(storage, lambda uow: uow.ledger.record(hold))
    assert read(storage, lambda uow: uow.ledger.for_booking(BookingId("bk_1"))) == [hold, capture]


def test_an_update_of_a_locked_booking_is_read_back_at_once_and_undone_by_a_rollback(
    storage: Storage,
) -> None:
    write(storage, lambda uow: uow.bookings.add(make_booking(1)))
    cancelled_at = NOW + timedelta(minutes=1)
    with storage.unit_of_work() as uow:
        booking = uow.bookings.get(BookingId("bk_1"), for_update=True)
        assert booking is not None
        booking.cancel(Actor(ActorType.CUSTOMER, "c1"), cancelled_at, "changed my mind")
        uow.bookings.update(booking)
        booking.payment_status = PaymentStatus.RELEASED
        uow.bookings.update(booking)  # a second change of the same row, in order
        seen = uow.bookings.get(BookingId("bk_1"))
        assert seen is not None
        assert (seen.state, seen.payment_status, seen.version) == (
            BookingState.CANCELLED,
            PaymentStatus.RELEASED,
            3,
        )
        # Leaving without commit rolls both back.
    kept = read(storage, lambda uow: uow.bookings.get(BookingId("bk_1")))
    assert kept is not None and (kept.state, kept.version) == (BookingState.HOLD_PLACED, 1)
    with storage.unit_of_work() as uow:
        booking = uow.bookings.get(BookingId("bk_1"), for_update=True)
        assert booking is not None
        booking.cancel(Actor(ActorType.CUSTOMER, "c1"), cancelled_at, "changed my mind")
        uow.bookings.update(booking)
        uow.commit()
    done = read(storage, lambda uow: uow.bookings.get(BookingId("bk_1")))
    assert done is not None and (done.state, done.version) == (BookingState.CANCELLED, 2)
    assert done == booking


def test_a_webhook_event_id_is_recorded_once(storage: Storage) -> None:
    event = ReceivedEvent("evt_1", "payment_intent.succeeded", NOW)
    with storage.unit_of_work() as uow:
        assert uow.webhook_inbox.add(event) is True
        assert uow.webhook_inbox.add(attrs.evolve(event, type="other")) is False
        uow.commit()
    assert read(storage, lambda uow: uow.webhook_inbox.get("evt_1")) == event
    assert read(storage, lambda uow: uow.webhook_inbox.get("evt_2")) is None


def test_a_control_holds_the_last_value_set(storage: Storage) -> None:
    assert read(storage, lambda uow: uow.controls.get("outbox.paused")) is None
    write(storage, lambda uow: uow.controls.set("outbox.paused", "true", NOW))
    write(storage, lambda uow: uow.controls.set("outbox.paused", "false", NOW + timedelta(1)))
    assert read(storage, lambda uow: uow.controls.get("outbox.paused")) == "false"


# --- the unit of work -----------------------------------------------------------------------


def everything_once(uow: UnitOfWork) -> None:
    uow.vendors.add(make_vendor(1))
    uow.vendors.add_window(VendorId("v1"), slot(9, 240))
    uow.customers.add(Customer(CustomerId("c1"), "Alice", "a@example.test", "+1"))
    uow.quotes.add(make_quote())
    uow.bookings.add(make_booking(1))
    uow.outbox.add(make_message(1))
    uow.idempotency.insert(IdempotencyRecord.start("c1", "k", "f" * 64, NOW))
    uow.access_log.append(AccessLogEntry("c1", "c1", "booking.confirm", "booking:bk_1", NOW))
    uow.principals.add("h1", Principal(Role.CUSTOMER, "c1"))
    uow.ledger.append(
        LedgerEntry(BookingId("bk_1"), "pi_1", LedgerKind.HOLD, Money(CAD, 100), "pi_1", NOW)
    )
    uow.webhook_inbox.add(ReceivedEvent("evt_1", "t", NOW))
    uow.controls.set("outbox.paused", "true", NOW)


def nothing_was_kept(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        assert uow.vendors.get(VendorId("v1")) is None
        assert uow.vendors.windows([VendorId("v1")], slot(9, 240)) == {"v1": []}
        assert uow.customers.get(CustomerId("c1")) is None
        assert uow.quotes.get(QuoteId("q_1")) is None
        assert uow.bookings.get(BookingId("bk_1")) is None
        assert uow.outbox.get("msg_001") is None
        assert uow.idempotency.get("c1", "k") is None
        assert uow.access_log.for_subject("c1") == []
        assert uow.principals.by_token_hash("h1") is None
        assert uow.ledger.for_booking(BookingId("bk_1")) == []
        assert uow.webhook_inbox.get("evt_1") is None
        assert uow.controls.get("outbox.paused") is None


def test_leaving_a_unit_of_work_without_commit_rolls_everything_back(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        everything_once(uow)
    nothing_was_kept(storage)


def test_an_error_inside_a_unit_of_work_rolls_it_back(storage: Storage) -> None:
    with pytest.raises(RuntimeError, match="boom"), storage.unit_of_work() as uow:
        everything_once(uow)
        raise RuntimeError("boom")
    nothing_was_kept(storage)


def test_rollback_discards_and_the_unit_of_work_goes_on(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        everything_once(uow)
        uow.rollback()
        uow.vendors.add(make_vendor(2))
        uow.commit()
    assert read(storage, lambda uow: uow.vendors.get(VendorId("v1"))) is None
    assert read(storage, lambda uow: uow.vendors.get(VendorId("v2"))) == make_vendor(2)


def test_committed_work_is_kept_and_one_unit_of_work_serves_many_transactions(
    storage: Storage,
) -> None:
    uow = storage.unit_of_work()
    with uow:
        everything_once(uow)
        uow.commit()
    with uow:
        assert uow.bookings.get(BookingId("bk_1")) == make_booking(1, version=1)
        assert uow.controls.get("outbox.paused") == "true"


def test_a_read_only_unit_of_work_reads_what_is_committed_and_cannot_commit(
    storage: Storage,
) -> None:
    write(storage, everything_once)
    uow = storage.unit_of_work()
    with uow.read_only() as reading:
        assert reading.principals.by_token_hash("h1") == Principal(Role.CUSTOMER, "c1")
        assert reading.bookings.get(BookingId("bk_1")) == make_booking(1, version=1)
        reading.vendors.add(make_vendor(2))
        with pytest.raises(RuntimeError, match="read-only"):
            reading.commit()
    assert read(storage, lambda uow: uow.vendors.get(VendorId("v2"))) is None
    with uow:  # the next block of the same unit of work writes again
        uow.vendors.add(make_vendor(2))
        uow.commit()
    assert read(storage, lambda uow: uow.vendors.get(VendorId("v2"))) == make_vendor(2)


def test_a_read_only_unit_of_work_does_not_wait_for_an_open_writer(
    sql_storage: SqlAlchemyStorage,
) -> None:
    # On SQLite every writer holds the database's one write lock from its first statement;
    # a reader that asked for it too would wait out the lock timeout and fail.
    write(sql_storage, lambda uow: uow.principals.add("h1", Principal(Role.CUSTOMER, "c1")))
    with sql_storage.unit_of_work() as writer:
        writer.principals.add("h2", Principal(Role.VENDOR, "v1"))
        with sql_storage.unit_of_work().read_only() as reader:
            assert reader.principals.by_token_hash("h1") == Principal(Role.CUSTOMER, "c1")
            assert reader.principals.by_token_hash("h2") is None  # not committed yet
        writer.commit()


# --- time zones -----------------------------------------------------------------------------


def test_times_come_back_aware_and_at_the_same_instant(storage: Storage) -> None:
    local = NOW.astimezone(VANCOUVER)
    at = Interval(local + timedelta(days=1), local + timedelta(days=1, hours=1))
    booking = make_booking(
        1, at=at, created_at=local, updated_at=local, hold_expires_at=local + timedelta(1)
    )
    write(storage, lambda uow: uow.bookings.add(booking))
    stored = read(storage, lambda uow: uow.bookings.get(booking.id))
    assert stored == booking
    assert stored is not None
    for moment in (stored.interval.start, stored.created_at, stored.hold_expires_at):
        assert moment.utcoffset() is not None


def test_sql_storage_hands_times_back_in_utc(sql_storage: SqlAlchemyStorage) -> None:
    local = NOW.astimezone(VANCOUVER)
    write(sql_storage, lambda uow: uow.bookings.add(make_booking(1, created_at=local)))
    stored = read(sql_storage, lambda uow: uow.bookings.get(BookingId("bk_1")))
    assert stored is not None
    assert stored.created_at == NOW and stored.created_at.tzinfo == UTC
    assert stored.interval.start.tzinfo == UTC


# --- what only the database itself can show ------------------------------------------------


@pytest.mark.parametrize(
    "statement", ["UPDATE access_log SET purpose = 'x'", "DELETE FROM access_log"]
)
def test_the_database_refuses_to_change_or_remove_access_log_rows(
    sql_storage: SqlAlchemyStorage, statement: str
) -> None:
    entry = AccessLogEntry("c1", "adm_1", "support", "booking:bk_1", NOW)
    write(sql_storage, lambda uow: uow.access_log.append(entry))
    with pytest.raises(DBAPIError, match="append-only"), sql_storage.engine.begin() as conn:
        conn.execute(text(statement))
    assert read(sql_storage, lambda uow: uow.access_log.for_subject("c1")) == [entry]


def test_the_database_refuses_an_overlapping_booking_written_around_the_adapter(
    sql_storage: SqlAlchemyStorage,
) -> None:
    write(sql_storage, lambda uow: uow.bookings.add(make_booking(1)))
    columns = [c.name for c in bookings_table.c]
    copied = ["'bk_copy'" if c == "id" else c for c in columns]
    copy = (
        f"INSERT INTO bookings ({', '.join(columns)}) "
        f"SELECT {', '.join(copied)} FROM bookings WHERE id = 'bk_1'"
    )
    with pytest.raises(DBAPIError, match="slot_taken"), sql_storage.engine.begin() as conn:
        conn.execute(text(copy))


# --- the use cases, end to end on each adapter ----------------------------------------------

ALICE = Principal(Role.CUSTOMER, "c1")
BOB = Principal(Role.CUSTOMER, "c2")


def seed_vendors(storage: Storage) -> None:
    def add(uow: UnitOfWork) -> None:
        for n in (1, 2, 3):
            uow.vendors.add(make_vendor(n))
            uow.vendors.add_window(VendorId(f"v{n}"), Interval.starting(NOW, 7 * 24 * 60))

    write(storage, add)


def quote_for(storage: Storage, clock: ManualClock, ids: SequentialIds, who: str) -> Quote:
    request = QuoteRequest(CustomerId(who), "haircut", HERE, 10.0, slot(10))
    return request_quote(
        request, storage.unit_of_work(), clock, ids, QuotePolicy(), GridMapProvider()
    ).quote


def confirm_command(quote: Quote, who: Principal, key: str, provider: str) -> ConfirmBooking:
    return ConfirmBooking(who, quote.id, provider, "pm_card_visa", key)


def test_quote_then_confirm_books_once_and_queues_the_hold(storage: Storage) -> None:
    clock, ids = ManualClock(NOW), SequentialIds()
    seed_vendors(storage)
    quote = quote_for(storage, clock, ids, "c1")
    assert [c.vendor_id for c in quote.candidates] == ["v1", "v2", "v3"]
    assert read(storage, lambda uow: uow.quotes.get(quote.id)) == quote
    assert quote_for(storage, clock, ids, "c1") == quote  # the same intent reuses it

    provider = quote.candidates[0].vendor_id
    cmd = confirm_command(quote, ALICE, "key-1", provider)
    booking = confirm_booking(cmd, storage.unit_of_work(), clock, ids).booking
    with storage.unit_of_work() as uow:
        assert uow.bookings.get(booking.id) == booking
        assert booking.state is BookingState.HOLD_PLACED
        [message] = uow.outbox.for_booking(booking.id)
        assert (message.command.action, message.state) == ("place_hold", OutboxState.QUEUED)
        assert [e.to_state for e in uow.audit.for_booking(booking.id)] == ["hold_placed"]
        assert [e.purpose for e in uow.access_log.for_subject("c1")] == ["booking.confirm"]

    replay = confirm_booking(cmd, storage.unit_of_work(), clock, ids)
    assert replay.replayed and replay.booking == booking
    other = confirm_command(quote, ALICE, "key-1", quote.candidates[1].vendor_id)
    with pytest.raises(IdempotencyConflict):
        confirm_booking(other, storage.unit_of_work(), clock, ids)
    assert read(storage, lambda uow: uow.bookings.list_for(limit=10)) == [booking]


def test_a_second_customer_cannot_take_a_booked_slot(storage: Storage) -> None:
    clock, ids = ManualClock(NOW), SequentialIds()
    seed_vendors(storage)
    mine, theirs = quote_for(storage, clock, ids, "c1"), quote_for(storage, clock, ids, "c2")
    confirm_booking(confirm_command(mine, ALICE, "k", "v1"), storage.unit_of_work(), clock, ids)
    late = confirm_command(theirs, BOB, "k", "v1")
    with pytest.raises(SlotTaken):
        confirm_booking(late, storage.unit_of_work(), clock, ids)
    with pytest.raises(SlotTaken):  # the refusal is replayed for the same key
        confirm_booking(late, storage.unit_of_work(), clock, ids)
    other_vendor = confirm_command(theirs, BOB, "k2", "v2")
    assert (
        confirm_booking(other_vendor, storage.unit_of_work(), clock, ids).booking.vendor_id == "v2"
    )


def test_cancel_and_auto_cancel_free_the_slot_and_queue_the_release(storage: Storage) -> None:
    clock, ids = ManualClock(NOW), SequentialIds()
    seed_vendors(storage)
    quote = quote_for(storage, clock, ids, "c1")
    first = confirm_booking(
        confirm_command(quote, ALICE, "k1", "v1"), storage.unit_of_work(), clock, ids
    ).booking
    cancel_booking(first.id, ALICE, storage.unit_of_work(), clock, ids, "plans changed")
    second = confirm_booking(
        confirm_command(quote, ALICE, "k2", "v1"), storage.unit_of_work(), clock, ids
    ).booking
    clock.advance(timedelta(minutes=16))
    assert auto_cancel_due(storage.unit_of_work(), clock, ids) == [second.id]
    for booking_id in (first.id, second.id):
        with storage.unit_of_work() as uow:
            stored = uow.bookings.get(booking_id)
            assert stored is not None and stored.state is BookingState.CANCELLED
            assert stored.payment_status is PaymentStatus.RELEASE_PENDING
            actions = [m.command.action for m in uow.outbox.for_booking(booking_id)]
            assert actions == ["place_hold", "release"]


def test_busy_and_get_many_take_thousands_of_ids_in_one_statement(storage: Storage) -> None:
    """The ids go as one bound value (id_lists.py), so no count runs into SQLite's limit of
    bound parameters (32,766) and no id is taken for another; an empty list finds nothing."""
    write(storage, lambda uow: uow.bookings.add(make_booking(1, vendor="v_7", at=slot(10))))
    many = [VendorId(f"v_{n}") for n in range(40_000)]
    found = read(storage, lambda uow: uow.bookings.busy(many, slot(9, 180)))
    assert len(found) == 40_000
    assert [vid for vid, ws in found.items() if ws] == ["v_7"]
    ids = [BookingId(f"bk_{n}") for n in range(40_000)]
    assert list(read(storage, lambda uow: uow.bookings.get_many(ids))) == ["bk_1"]
    assert read(storage, lambda uow: uow.bookings.get_many([])) == {}
    quoted = [VendorId("v_7'); DROP TABLE bookings; --"), VendorId('v_7"')]
    assert not any(read(storage, lambda uow: uow.bookings.busy(quoted, slot(9, 180))).values())
