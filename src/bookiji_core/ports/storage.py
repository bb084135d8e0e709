"""Storage ports: repositories and the unit of work that makes their changes atomic."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol

from bookiji_core.access import AccessLogEntry, Principal
from bookiji_core.booking import AuditEntry, Booking
from bookiji_core.catalogue import Commitment, Customer, Vendor, VendorCatalogue
from bookiji_core.idempotency import IdempotencyRecord
from bookiji_core.ledger import LedgerEntry
from bookiji_core.payments import OutboxMessage, OutboxState
from bookiji_core.ports.notifications import ContactChannels, Notifications
from bookiji_core.ports.principals import Principals
from bookiji_core.ports.privacy_bulk import PrivacyBulk
from bookiji_core.ports.privacy_queue import PrivacyQueue
from bookiji_core.ports.workers import WorkerHeartbeats
from bookiji_core.privacy import Tombstone
from bookiji_core.quoting import Quote
from bookiji_core.values import Area, BookingId, CustomerId, Interval, QuoteId, VendorId
from bookiji_core.webhooks import ReceivedEvent


class Vendors(Protocol):
    def add(self, vendor: Vendor) -> None: ...

    def get(self, vendor_id: VendorId) -> Vendor | None: ...

    def offering(
        self, service_type: str, min_rating: float, within: Area | None = None
    ) -> list[Vendor]:
        """Vendors offering the service, rated `min_rating` or more, by id; with `within`,
        only those inside the area's box (`Area.bounds`, which holds its circle): the caller
        keeps the exact distance test, which it needs for the ranking anyway."""
        ...

    def listed(self, limit: int) -> list[Vendor]:
        """Vendors offering at least one service (a deleted vendor offers none), by id."""
        ...

    def add_window(self, vendor_id: VendorId, window: Interval) -> None: ...

    def windows(
        self, vendor_ids: Iterable[VendorId], within: Interval
    ) -> Mapping[VendorId, Sequence[Interval]]:
        """Each vendor's open windows that overlap `within`."""
        ...


class Catalogues(Protocol):
    """Vendors' own catalogues (services, hours, exceptions); a vendor without one is read
    through `VendorCatalogue.of(vendor)` and its explicit windows."""

    def get(self, vendor_id: VendorId) -> VendorCatalogue | None: ...

    def save(self, catalogue: VendorCatalogue) -> None: ...

    def for_vendors(self, vendor_ids: Iterable[VendorId]) -> Mapping[VendorId, VendorCatalogue]:
        """The catalogues of those vendors that have one."""
        ...

    def commitments(self, vendor_id: VendorId, after: datetime) -> list[Commitment]:
        """The vendor's held or confirmed bookings that end after `after`, with the service
        each was quoted for, in start order."""
        ...


class Customers(Protocol):
    def add(self, customer: Customer) -> None: ...

    def get(self, customer_id: CustomerId) -> Customer | None: ...


class Quotes(Protocol):
    def add(self, quote: Quote) -> None: ...

    def get(self, quote_id: QuoteId) -> Quote | None: ...

    def live_by_intent(self, intent_hash: str, now: datetime) -> Quote | None: ...


class Bookings(Protocol):
    def add(self, booking: Booking) -> None:
        """Insert; raises SlotTaken if an active booking of the vendor overlaps (enforced by
        the store itself, so concurrent writers cannot both succeed)."""
        ...

    def get(self, booking_id: BookingId, *, for_update: bool = False) -> Booking | None: ...

    def get_many(
        self, booking_ids: Iterable[BookingId], *, for_update: bool = False
    ) -> dict[BookingId, Booking]:
        """The bookings among these that exist, by id, in one read; `for_update` locks them
        in id order (so two batches that share bookings cannot deadlock on them)."""
        ...

    def update(self, booking: Booking) -> None:
        """Save changes; raises ConcurrentUpdate if the stored version moved on."""
        ...

    def busy(
        self, vendor_ids: Iterable[VendorId], within: Interval
    ) -> Mapping[VendorId, Sequence[Interval]]:
        """Intervals of active bookings that overlap `within`, per vendor."""
        ...

    def list_for(
        self,
        *,
        customer_id: CustomerId | None = None,
        vendor_id: VendorId | None = None,
        limit: int = 100,
    ) -> list[Booking]: ...

    def due_for_auto_cancel(self, now: datetime, limit: int) -> list[BookingId]: ...


class AuditTrail(Protocol):
    def append(self, entry: AuditEntry) -> None: ...

    def for_booking(self, booking_id: BookingId) -> list[AuditEntry]: ...


class Outbox(Protocol):
    def add(self, message: OutboxMessage) -> None: ...

    def get(self, message_id: str, *, for_update: bool = False) -> OutboxMessage | None: ...

    def get_many(
        self, message_ids: Iterable[str], *, for_update: bool = False
    ) -> dict[str, OutboxMessage]:
        """The messages among these that exist, by id, in one read (locked in id order)."""
        ...

    def claim_due(
        self, now: datetime, *, owner: str, lease: timedelta, limit: int
    ) -> list[OutboxMessage]:
        """Mark up to `limit` due messages in flight for `owner`, oldest `next_attempt_at`
        first: queued ones whose time has come, and in-flight ones whose lease expired (their
        worker died). Each claim counts as an attempt (`attempts + 1`), so a message that
        crashes its worker every time still reaches the DLQ. Concurrent claimers never share
        a message (`FOR UPDATE SKIP LOCKED` or an equivalent)."""
        ...

    def renew_leases(self, message_ids: Sequence[str], *, owner: str, until: datetime) -> list[str]:
        """Heartbeat: extend `owner`'s leases on these in-flight messages to `until`. Returns
        the ids it still held (a lease that expired and was taken over is not renewed)."""
        ...

    def release(self, message_ids: Sequence[str], *, owner: str) -> list[str]:
        """A stopping worker gives back `owner`'s in-flight messages among these, unattempted
        (`OutboxMessage.release`): queued again at once. Returns the ids it gave back."""
        ...

    def update(self, message: OutboxMessage) -> None: ...

    def counts(self) -> Mapping[OutboxState, int]: ...

    def list_by_state(self, state: OutboxState, limit: int = 100) -> list[OutboxMessage]: ...

    def for_booking(self, booking_id: BookingId) -> list[OutboxMessage]: ...

    def for_bookings(
        self, booking_ids: Iterable[BookingId]
    ) -> dict[BookingId, list[OutboxMessage]]:
        """`for_booking` of each of these, in one read (a booking without messages: [])."""
        ...


class Ledger(Protocol):
    """Append-only: there is no method to change or remove an entry."""

    def append(self, entry: LedgerEntry) -> bool:
        """Add the entry unless one with the same `key` exists; True if it was added."""
        ...

    def record(self, entry: LedgerEntry) -> None:
        """`append` when the caller need not know whether the entry was new: an adapter may
        add it with the transaction's other entries (at the latest at commit), still only
        if no entry with its `key` exists by then; every read in the transaction sees it."""
        ...

    def for_booking(self, booking_id: BookingId) -> list[LedgerEntry]: ...

    def booking_ids(self, *, after: str = "", limit: int = 500) -> list[BookingId]:
        """Bookings that have entries, in id order after `after` (for paging)."""
        ...


class WebhookInbox(Protocol):
    def add(self, event: ReceivedEvent) -> bool:
        """Record the event id; False (and no change) if it was already recorded. A
        concurrent transaction recording the same id makes one of the two fail at commit."""
        ...

    def get(self, event_id: str) -> ReceivedEvent | None: ...


class Controls(Protocol):
    """Operator switches and figures that every process must see (outbox pause, the last
    reconciliation's double-charge count): small named values kept in storage."""

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str, at: datetime) -> None: ...

    def increment(self, name: str, by: float, at: datetime) -> None:
        """Add `by` to the number stored under `name` (0 when absent), atomically: concurrent
        increments from several processes all count."""
        ...

    def with_prefix(self, prefix: str) -> dict[str, str]:
        """Every value whose name starts with `prefix`, by name."""
        ...


class IdempotencyKeys(Protocol):
    def get(self, scope: str, key: str) -> IdempotencyRecord | None: ...

    def insert(self, record: IdempotencyRecord) -> None:
        """Raises IdempotencyInProgress if the key already exists."""
        ...

    def replace(self, record: IdempotencyRecord) -> None: ...

    def delete(self, scope: str, key: str) -> None: ...


class AccessLog(Protocol):
    """Append-only: there is no method to change or remove an entry."""

    def append(self, entry: AccessLogEntry) -> None: ...

    def for_subject(self, subject_id: str) -> list[AccessLogEntry]: ...


class Privacy(PrivacyQueue, PrivacyBulk, Protocol):
    """The queue of export and delete requests, tombstones of deletions, and the reads and
    rewrites of a person's records that export and erasure need beyond the other
    repositories."""

    def add_tombstone(self, tombstone: Tombstone) -> None: ...

    def tombstone(self, subject_id: str) -> Tombstone | None: ...

    def claim(self, subject_id: str) -> Tombstone | None:
        """The pending tombstone, locked for this transaction; None if there is none or
        another shredder holds it (`FOR UPDATE SKIP LOCKED` or an equivalent)."""
        ...

    def update_tombstone(self, tombstone: Tombstone) -> None: ...

    def pending(self, limit: int) -> list[Tombstone]:
        """Pending tombstones, oldest request first."""
        ...

    def quotes_of(self, customer_id: CustomerId) -> list[Quote]: ...

    def windows_of(self, vendor_id: VendorId) -> list[Interval]: ...

    def principals_of(self, subject_id: str) -> list[Principal]: ...

    def revoke_principals(self, subject_id: str) -> int:
        """Remove every token of the subject; returns how many there were."""
        ...

    def idempotency_of(self, scope: str) -> list[IdempotencyRecord]: ...

    def erase_audit_reasons(self, actor_id: str, placeholder: str) -> int:
        """Overwrite the free-text reason of every audit row `actor_id` wrote."""
        ...


class UnitOfWork(Protocol):
    """One transaction. `with uow:` begins it; leaving without `commit()` rolls it back."""

    vendors: Vendors
    catalogues: Catalogues
    customers: Customers
    quotes: Quotes
    bookings: Bookings
    audit: AuditTrail
    outbox: Outbox
    idempotency: IdempotencyKeys
    access_log: AccessLog
    principals: Principals
    ledger: Ledger
    webhook_inbox: WebhookInbox
    controls: Controls
    privacy: Privacy
    notifications: Notifications
    contact_channels: ContactChannels
    workers: WorkerHeartbeats

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def read_only(self) -> UnitOfWork:
        """This unit of work, its next `with` block a read-only transaction: it sees what is
        committed without queueing behind writers (on SQLite it takes no write lock), and
        `commit()` in it is an error. Wrappers must return themselves, not what they wrap."""
        ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
