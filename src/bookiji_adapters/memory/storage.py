"""In-memory storage: every repository over one shared state, transactions serialised by a lock."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType

import attrs

from bookiji_adapters.memory.notifications import (
    InMemoryContactChannels,
    InMemoryNotifications,
    NotificationTables,
)
from bookiji_adapters.memory.privacy import InMemoryPrivacy
from bookiji_core.access import AccessLogEntry, Principal
from bookiji_core.booking import ACTIVE_STATES, AuditEntry, Booking
from bookiji_core.catalogue import Customer, Vendor
from bookiji_core.errors import ConcurrentUpdate, IdempotencyInProgress, SlotTaken
from bookiji_core.idempotency import IdempotencyRecord
from bookiji_core.ledger import LedgerEntry
from bookiji_core.payments import OutboxMessage, OutboxState
from bookiji_core.privacy import Tombstone
from bookiji_core.quoting import Quote
from bookiji_core.values import BookingId, CustomerId, Interval, QuoteId, VendorId
from bookiji_core.webhooks import ReceivedEvent


@attrs.define
class _State:
    vendors: dict[VendorId, Vendor] = attrs.field(factory=dict)
    windows: dict[VendorId, list[Interval]] = attrs.field(factory=dict)
    customers: dict[CustomerId, Customer] = attrs.field(factory=dict)
    quotes: dict[QuoteId, Quote] = attrs.field(factory=dict)
    bookings: dict[BookingId, Booking] = attrs.field(factory=dict)
    audit: list[AuditEntry] = attrs.field(factory=list)
    outbox: dict[str, OutboxMessage] = attrs.field(factory=dict)
    idempotency: dict[tuple[str, str], IdempotencyRecord] = attrs.field(factory=dict)
    access_log: list[AccessLogEntry] = attrs.field(factory=list)
    principals: dict[str, Principal] = attrs.field(factory=dict)
    ledger: dict[str, LedgerEntry] = attrs.field(factory=dict)
    webhook_inbox: dict[str, ReceivedEvent] = attrs.field(factory=dict)
    controls: dict[str, str] = attrs.field(factory=dict)
    tombstones: dict[str, Tombstone] = attrs.field(factory=dict)
    notify: NotificationTables = attrs.field(factory=NotificationTables)


def _copy_booking(booking: Booking) -> Booking:
    # Aggregates are mutable: hand out and keep copies so that nothing leaks past a rollback.
    return attrs.evolve(booking, new_audit=[], new_commands=[])


class InMemoryStorage:
    """The shared state. One lock serialises transactions, as a single-writer database would."""

    def __init__(self) -> None:
        self.state = _State()
        self.lock = threading.RLock()

    def unit_of_work(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self)


class _Repo:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    @property
    def _s(self) -> _State:
        return self._uow.working


class _Vendors(_Repo):
    def add(self, vendor: Vendor) -> None:
        self._s.vendors[vendor.id] = vendor

    def get(self, vendor_id: VendorId) -> Vendor | None:
        return self._s.vendors.get(vendor_id)

    def offering(self, service_type: str, min_rating: float) -> list[Vendor]:
        return sorted(
            (
                v
                for v in self._s.vendors.values()
                if v.offers(service_type) and v.rating >= min_rating
            ),
            key=lambda v: v.id,
        )

    def add_window(self, vendor_id: VendorId, window: Interval) -> None:
        self._s.windows.setdefault(vendor_id, []).append(window)

    def windows(
        self, vendor_ids: Iterable[VendorId], within: Interval
    ) -> Mapping[VendorId, Sequence[Interval]]:
        return {
            vid: [w for w in self._s.windows.get(vid, []) if w.overlaps(within)]
            for vid in vendor_ids
        }


class _Customers(_Repo):
    def add(self, customer: Customer) -> None:
        self._s.customers[customer.id] = customer

    def get(self, customer_id: CustomerId) -> Customer | None:
        return self._s.customers.get(customer_id)


class _Quotes(_Repo):
    def add(self, quote: Quote) -> None:
        self._s.quotes[quote.id] = quote

    def get(self, quote_id: QuoteId) -> Quote | None:
        return self._s.quotes.get(quote_id)

    def live_by_intent(self, intent_hash: str, now: datetime) -> Quote | None:
        live = [
            q for q in self._s.quotes.values() if q.intent_hash == intent_hash and q.is_live(now)
        ]
        return max(live, key=lambda q: q.created_at, default=None)


class _Bookings(_Repo):
    def add(self, booking: Booking) -> None:
        if booking.is_active and self._overlapping(booking):
            raise SlotTaken(f"vendor {booking.vendor_id} is already booked at that time")
        self._s.bookings[booking.id] = attrs.evolve(_copy_booking(booking), version=1)
        booking.version = 1

    def _overlapping(self, booking: Booking) -> bool:
        return any(
            other.vendor_id == booking.vendor_id
            and other.id != booking.id
            and other.is_active
            and other.interval.overlaps(booking.interval)
            for other in self._s.bookings.values()
        )

    def get(self, booking_id: BookingId, *, for_update: bool = False) -> Booking | None:
        stored = self._s.bookings.get(booking_id)
        return None if stored is None else _copy_booking(stored)

    def update(self, booking: Booking) -> None:
        stored = self._s.bookings.get(booking.id)
        if stored is None or stored.version != booking.version:
            raise ConcurrentUpdate(f"booking {booking.id} was changed by another transaction")
        if booking.is_active and self._overlapping(booking):
            raise SlotTaken(f"vendor {booking.vendor_id} is already booked at that time")
        booking.version += 1
        self._s.bookings[booking.id] = _copy_booking(booking)

    def busy(
        self, vendor_ids: Iterable[VendorId], within: Interval
    ) -> Mapping[VendorId, Sequence[Interval]]:
        wanted = set(vendor_ids)
        result: dict[VendorId, list[Interval]] = {vid: [] for vid in wanted}
        for b in self._s.bookings.values():
            if b.vendor_id in wanted and b.state in ACTIVE_STATES and b.interval.overlaps(within):
                result[b.vendor_id].append(b.interval)
        return result

    def list_for(
        self,
        *,
        customer_id: CustomerId | None = None,
        vendor_id: VendorId | None = None,
        limit: int = 100,
    ) -> list[Booking]:
        found = [
            _copy_booking(b)
            for b in self._s.bookings.values()
            if (customer_id is None or b.customer_id == customer_id)
            and (vendor_id is None or b.vendor_id == vendor_id)
        ]
        found.sort(key=lambda b: (b.created_at, b.id), reverse=True)
        return found[:limit]

    def due_for_auto_cancel(self, now: datetime, limit: int) -> list[BookingId]:
        due = [
            b
            for b in self._s.bookings.values()
            if b.state == "hold_placed" and b.hold_expires_at <= now
        ]
        due.sort(key=lambda b: (b.hold_expires_at, b.id))
        return [b.id for b in due[:limit]]


class _Audit(_Repo):
    def append(self, entry: AuditEntry) -> None:
        self._s.audit.append(entry)

    def for_booking(self, booking_id: BookingId) -> list[AuditEntry]:
        return [e for e in self._s.audit if e.booking_id == booking_id]


class _Outbox(_Repo):
    def add(self, message: OutboxMessage) -> None:
        self._s.outbox[message.id] = message

    def get(self, message_id: str, *, for_update: bool = False) -> OutboxMessage | None:
        return self._s.outbox.get(message_id)

    def claim_due(
        self, now: datetime, *, owner: str, lease: timedelta, limit: int
    ) -> list[OutboxMessage]:
        def due(m: OutboxMessage) -> bool:
            if m.state is OutboxState.QUEUED:
                return m.next_attempt_at <= now
            return (
                m.state is OutboxState.IN_FLIGHT
                and m.lease_until is not None
                and m.lease_until <= now
            )

        ready = sorted(
            (m for m in self._s.outbox.values() if due(m)), key=lambda m: (m.next_attempt_at, m.id)
        )
        claimed = [
            attrs.evolve(
                m,
                state=OutboxState.IN_FLIGHT,
                attempts=m.attempts + 1,
                lease_owner=owner,
                lease_until=now + lease,
            )
            for m in ready[:limit]
        ]
        for m in claimed:
            self._s.outbox[m.id] = m
        return claimed

    def renew_leases(self, message_ids: Sequence[str], *, owner: str, until: datetime) -> list[str]:
        held = []
        for message_id in message_ids:
            m = self._s.outbox.get(message_id)
            if m is not None and m.holds_lease(owner):
                self._s.outbox[message_id] = attrs.evolve(m, lease_until=until)
                held.append(message_id)
        return held

    def update(self, message: OutboxMessage) -> None:
        self._s.outbox[message.id] = message

    def counts(self) -> Mapping[OutboxState, int]:
        counts = dict.fromkeys(OutboxState, 0)
        for m in self._s.outbox.values():
            counts[m.state] += 1
        return counts

    def list_by_state(self, state: OutboxState, limit: int = 100) -> list[OutboxMessage]:
        found = sorted(
            (m for m in self._s.outbox.values() if m.state is state),
            key=lambda m: (m.created_at, m.id),
        )
        return found[:limit]

    def for_booking(self, booking_id: BookingId) -> list[OutboxMessage]:
        found = [m for m in self._s.outbox.values() if m.command.booking_id == booking_id]
        return sorted(found, key=lambda m: m.command.sequence)


class _Ledger(_Repo):
    def append(self, entry: LedgerEntry) -> bool:
        if entry.key in self._s.ledger:
            return False
        self._s.ledger[entry.key] = entry
        return True

    def for_booking(self, booking_id: BookingId) -> list[LedgerEntry]:
        return [e for e in self._s.ledger.values() if e.booking_id == booking_id]

    def booking_ids(self, *, after: str = "", limit: int = 500) -> list[BookingId]:
        ids = sorted({e.booking_id for e in self._s.ledger.values() if e.booking_id > after})
        return ids[:limit]


class _WebhookInbox(_Repo):
    def add(self, event: ReceivedEvent) -> bool:
        if event.id in self._s.webhook_inbox:
            return False
        self._s.webhook_inbox[event.id] = event
        return True

    def get(self, event_id: str) -> ReceivedEvent | None:
        return self._s.webhook_inbox.get(event_id)


class _Controls(_Repo):
    def get(self, name: str) -> str | None:
        return self._s.controls.get(name)

    def set(self, name: str, value: str, at: datetime) -> None:
        self._s.controls[name] = value


class _Idempotency(_Repo):
    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        return self._s.idempotency.get((scope, key))

    def insert(self, record: IdempotencyRecord) -> None:
        if (record.scope, record.key) in self._s.idempotency:
            raise IdempotencyInProgress("a request with this Idempotency-Key is already running")
        self._s.idempotency[(record.scope, record.key)] = record

    def replace(self, record: IdempotencyRecord) -> None:
        self._s.idempotency[(record.scope, record.key)] = record

    def delete(self, scope: str, key: str) -> None:
        self._s.idempotency.pop((scope, key), None)


class _AccessLog(_Repo):
    def append(self, entry: AccessLogEntry) -> None:
        self._s.access_log.append(entry)

    def for_subject(self, subject_id: str) -> list[AccessLogEntry]:
        return [e for e in self._s.access_log if e.subject_id == subject_id]


class _Principals(_Repo):
    def add(self, token_hash: str, principal: Principal) -> None:
        self._s.principals[token_hash] = principal

    def by_token_hash(self, token_hash: str) -> Principal | None:
        return self._s.principals.get(token_hash)


class InMemoryUnitOfWork:
    """A transaction over InMemoryStorage: works on a copy, swaps it in on commit."""

    def __init__(self, storage: InMemoryStorage) -> None:
        self._storage = storage
        self.working = storage.state
        self._reading = False
        self.vendors = _Vendors(self)
        self.customers = _Customers(self)
        self.quotes = _Quotes(self)
        self.bookings = _Bookings(self)
        self.audit = _Audit(self)
        self.outbox = _Outbox(self)
        self.idempotency = _Idempotency(self)
        self.access_log = _AccessLog(self)
        self.principals = _Principals(self)
        self.ledger = _Ledger(self)
        self.webhook_inbox = _WebhookInbox(self)
        self.controls = _Controls(self)
        self.privacy = InMemoryPrivacy(self)
        self.notifications = InMemoryNotifications(self)
        self.contact_channels = InMemoryContactChannels(self)

    def read_only(self) -> InMemoryUnitOfWork:
        self._reading = True
        return self

    def __enter__(self) -> InMemoryUnitOfWork:
        self._storage.lock.acquire()
        # A shallow copy of each collection: values are immutable or copied on the way in and
        # out, so a rollback only has to drop the working copy.
        self.working = _State(
            **{
                f.name: copy.copy(getattr(self._storage.state, f.name))
                for f in attrs.fields(_State)
            }
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.working = self._storage.state
        self._reading = False
        self._storage.lock.release()

    def commit(self) -> None:
        if self._reading:
            raise RuntimeError("a read-only unit of work cannot commit")
        self._storage.state = self.working

    def rollback(self) -> None:
        self.working = _State(
            **{
                f.name: copy.copy(getattr(self._storage.state, f.name))
                for f in attrs.fields(_State)
            }
        )
