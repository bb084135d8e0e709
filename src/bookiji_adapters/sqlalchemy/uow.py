"""The unit of work: one database transaction shared by every repository."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from sqlalchemy import Connection, Engine

from bookiji_adapters.sqlalchemy.access import SqlAlchemyAccessLog
from bookiji_adapters.sqlalchemy.bookings import SqlAlchemyAuditTrail, SqlAlchemyBookings
from bookiji_adapters.sqlalchemy.catalogue import SqlAlchemyCustomers, SqlAlchemyVendors
from bookiji_adapters.sqlalchemy.catalogues import SqlAlchemyCatalogues
from bookiji_adapters.sqlalchemy.crash import CrashDrill
from bookiji_adapters.sqlalchemy.engine import READ_ONLY
from bookiji_adapters.sqlalchemy.held import HeldWrites
from bookiji_adapters.sqlalchemy.history import DEVELOPMENT_KEY, HistoryWriter
from bookiji_adapters.sqlalchemy.idempotency import SqlAlchemyIdempotencyKeys
from bookiji_adapters.sqlalchemy.notifications import (
    SqlAlchemyContactChannels,
    SqlAlchemyNotifications,
)
from bookiji_adapters.sqlalchemy.outbox import SqlAlchemyOutbox
from bookiji_adapters.sqlalchemy.payments import (
    SqlAlchemyControls,
    SqlAlchemyLedger,
    SqlAlchemyWebhookInbox,
)
from bookiji_adapters.sqlalchemy.principals import SqlAlchemyPrincipals
from bookiji_adapters.sqlalchemy.privacy import SqlAlchemyPrivacy
from bookiji_adapters.sqlalchemy.quotes import SqlAlchemyQuotes
from bookiji_adapters.sqlalchemy.workers import SqlAlchemyWorkerHeartbeats
from bookiji_core.ports import (
    AccessLog,
    AuditTrail,
    Bookings,
    Catalogues,
    ContactChannels,
    Controls,
    Customers,
    IdempotencyKeys,
    Ledger,
    Notifications,
    Outbox,
    Principals,
    Quotes,
    Vendors,
    WebhookInbox,
)
from bookiji_core.ports.storage import Privacy
from bookiji_core.ports.workers import WorkerHeartbeats


class SqlAlchemyUnitOfWork:
    """`with uow:` takes a connection; its first statement begins the transaction. Leaving
    without `commit()` rolls back. One object may be entered again, one block at a time;
    `with uow.read_only():` makes that block a read-only transaction."""

    def __init__(
        self,
        engine: Engine,
        history_key: bytes = DEVELOPMENT_KEY,
        drill: CrashDrill | None = None,
    ) -> None:
        # Each repository is typed as its port, so mypy checks it against the protocol.
        self._engine = engine
        self.history = HistoryWriter(history_key)
        self.held = HeldWrites()
        self._after_commit: list[Callable[[Engine], None]] = []
        self._drill = drill
        self._connection: Connection | None = None
        self._reading = False
        self.vendors: Vendors = SqlAlchemyVendors(self)
        self.catalogues: Catalogues = SqlAlchemyCatalogues(self)
        self.customers: Customers = SqlAlchemyCustomers(self)
        self.quotes: Quotes = SqlAlchemyQuotes(self)
        self.bookings: Bookings = SqlAlchemyBookings(self)
        self.audit: AuditTrail = SqlAlchemyAuditTrail(self)
        self.outbox: Outbox = SqlAlchemyOutbox(self)
        self.idempotency: IdempotencyKeys = SqlAlchemyIdempotencyKeys(self)
        self.access_log: AccessLog = SqlAlchemyAccessLog(self)
        self.principals: Principals = SqlAlchemyPrincipals(self)
        self.ledger: Ledger = SqlAlchemyLedger(self)
        self.webhook_inbox: WebhookInbox = SqlAlchemyWebhookInbox(self)
        self.controls: Controls = SqlAlchemyControls(self)
        self.privacy: Privacy = SqlAlchemyPrivacy(self)
        self.notifications: Notifications = SqlAlchemyNotifications(self)
        self.contact_channels: ContactChannels = SqlAlchemyContactChannels(self)
        self.workers: WorkerHeartbeats = SqlAlchemyWorkerHeartbeats(self)

    @property
    def connection(self) -> Connection:
        """The transaction's connection, once the writes held back so far are in (held.py):
        every statement a repository runs comes after them."""
        if self._connection is None:
            raise RuntimeError("use the repositories inside `with uow:`")
        if self.held:
            self.held.flush(self._connection, self.history)
        return self._connection

    def read_only(self) -> SqlAlchemyUnitOfWork:
        if self._connection is not None:
            raise RuntimeError("read_only() comes before `with`, not inside the block")
        self._reading = True
        return self

    def __enter__(self) -> SqlAlchemyUnitOfWork:
        if self._connection is not None:
            raise RuntimeError("this unit of work is already open; nested use is not supported")
        try:
            self._connection = self._engine.connect()
        except BaseException:
            self._reading = False
            raise
        if self._reading:
            self._connection.execution_options(**{READ_ONLY: True})  # read by the begin hook
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, self._connection = self._connection, None
        self._reading = False
        self.history.discard()
        self.held.discard()
        self._after_commit.clear()
        if connection is not None:
            connection.close()  # rolls back whatever was not committed

    def commit(self) -> None:
        if self._reading:
            raise RuntimeError("a read-only unit of work cannot commit")
        self.history.flush(self.connection)
        if self._drill is None:
            self.connection.commit()
        else:  # a test's crash drill (crash.py)
            self._drill.around_commit(self.connection, "before")
            self.connection.commit()
            self._drill.around_commit(self.connection, "after")
        actions, self._after_commit = self._after_commit, []
        for action in actions:
            action(self._engine)

    def rollback(self) -> None:
        self.history.discard()
        self.held.discard()
        self._after_commit.clear()
        self.connection.rollback()

    def after_commit(self, action: Callable[[Engine], None]) -> None:
        if action not in self._after_commit:
            self._after_commit.append(action)
