"""In-memory storage: every repository over one shared state, transactions serialised by a lock."""

from __future__ import annotations

import threading
from types import TracebackType

from bookiji_adapters.memory.bookings import InMemoryAuditTrail, InMemoryBookings
from bookiji_adapters.memory.catalogue import InMemoryCustomers, InMemoryQuotes, InMemoryVendors
from bookiji_adapters.memory.catalogues import InMemoryCatalogues
from bookiji_adapters.memory.notifications import InMemoryContactChannels, InMemoryNotifications
from bookiji_adapters.memory.outbox import InMemoryLedger, InMemoryOutbox, InMemoryWebhookInbox
from bookiji_adapters.memory.principals import InMemoryPrincipals
from bookiji_adapters.memory.privacy import InMemoryPrivacy
from bookiji_adapters.memory.records import (
    InMemoryAccessLog,
    InMemoryControls,
    InMemoryIdempotencyKeys,
    InMemoryWorkerHeartbeats,
)
from bookiji_adapters.memory.state import MemoryState
from bookiji_core.ports.notifications import ContactChannels, Notifications
from bookiji_core.ports.principals import Principals
from bookiji_core.ports.storage import (
    AccessLog,
    AuditTrail,
    Bookings,
    Catalogues,
    Controls,
    Customers,
    IdempotencyKeys,
    Ledger,
    Outbox,
    Privacy,
    Quotes,
    Vendors,
    WebhookInbox,
)
from bookiji_core.ports.workers import WorkerHeartbeats


class InMemoryStorage:
    """The shared state. One lock serialises transactions, as a single-writer database would."""

    def __init__(self) -> None:
        self.state = MemoryState()
        self.lock = threading.RLock()

    def unit_of_work(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self)


class InMemoryUnitOfWork:
    """A transaction over InMemoryStorage: works on a copy, swaps it in on commit."""

    def __init__(self, storage: InMemoryStorage) -> None:
        self._storage = storage
        self.working = storage.state
        self._reading = False
        # Typed as the ports, so that mypy checks each repository against its port.
        self.vendors: Vendors = InMemoryVendors(self)
        self.catalogues: Catalogues = InMemoryCatalogues(self)
        self.customers: Customers = InMemoryCustomers(self)
        self.quotes: Quotes = InMemoryQuotes(self)
        self.bookings: Bookings = InMemoryBookings(self)
        self.audit: AuditTrail = InMemoryAuditTrail(self)
        self.outbox: Outbox = InMemoryOutbox(self)
        self.idempotency: IdempotencyKeys = InMemoryIdempotencyKeys(self)
        self.access_log: AccessLog = InMemoryAccessLog(self)
        self.principals: Principals = InMemoryPrincipals(self)
        self.ledger: Ledger = InMemoryLedger(self)
        self.webhook_inbox: WebhookInbox = InMemoryWebhookInbox(self)
        self.controls: Controls = InMemoryControls(self)
        self.privacy: Privacy = InMemoryPrivacy(self)
        self.notifications: Notifications = InMemoryNotifications(self)
        self.contact_channels: ContactChannels = InMemoryContactChannels(self)
        self.workers: WorkerHeartbeats = InMemoryWorkerHeartbeats(self)

    def read_only(self) -> InMemoryUnitOfWork:
        self._reading = True
        return self

    def __enter__(self) -> InMemoryUnitOfWork:
        self._storage.lock.acquire()
        self.working = self._storage.state.working_copy()
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
        self.working = self._storage.state.working_copy()
