"""Count every access-log write, and every failed one, whichever use case writes it.

A write is attempted when a use case appends an entry, and has succeeded only once its
transaction commits: the access log must never claim a read was recorded when it was not. So
an append that raises, or a commit that raises after appends, counts as failed writes; an
entry whose transaction the use case itself rolled back (it refused the request) was
withdrawn, not failed, and is not counted.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from bookiji_core.access import AccessLogEntry
from bookiji_core.ports import AccessLog, Telemetry, UnitOfWork, UnitOfWorkFactory


def count_access_log_writes(make: UnitOfWorkFactory, telemetry: Telemetry) -> UnitOfWorkFactory:
    """A unit-of-work factory like `make` whose access-log writes are reported to telemetry."""

    def unit_of_work() -> UnitOfWork:
        return AccessLogCounting(make(), telemetry)

    return unit_of_work


class _CountedAccessLog:
    def __init__(self, owner: AccessLogCounting) -> None:
        self._owner = owner

    def append(self, entry: AccessLogEntry) -> None:
        owner = self._owner
        try:
            owner.inner.access_log.append(entry)
        except BaseException:
            owner.telemetry.access_log_write(False)
            raise
        owner.pending += 1

    def for_subject(self, subject_id: str) -> list[AccessLogEntry]:
        return self._owner.inner.access_log.for_subject(subject_id)


class AccessLogCounting:
    """Wraps one unit of work: its repositories are the wrapped ones but the access log."""

    def __init__(self, inner: UnitOfWork, telemetry: Telemetry) -> None:
        self.inner = inner
        self.telemetry = telemetry
        self.pending = 0
        # The wrapped unit of work's repositories, but the access log: named one by one so
        # that the type checker holds this wrapper to the port.
        self.vendors = inner.vendors
        self.catalogues = inner.catalogues
        self.customers = inner.customers
        self.quotes = inner.quotes
        self.bookings = inner.bookings
        self.audit = inner.audit
        self.outbox = inner.outbox
        self.idempotency = inner.idempotency
        self.access_log: AccessLog = _CountedAccessLog(self)
        self.principals = inner.principals
        self.ledger = inner.ledger
        self.webhook_inbox = inner.webhook_inbox
        self.controls = inner.controls
        self.privacy = inner.privacy
        self.notifications = inner.notifications
        self.contact_channels = inner.contact_channels
        self.workers = inner.workers

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def read_only(self) -> AccessLogCounting:
        self.inner.read_only()
        return self

    def __enter__(self) -> AccessLogCounting:
        self.inner.__enter__()
        self.pending = 0
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.pending = 0
        self.inner.__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        written, self.pending = self.pending, 0
        try:
            self.inner.commit()
        except BaseException:
            for _ in range(written):
                self.telemetry.access_log_write(False)
            raise
        for _ in range(written):
            self.telemetry.access_log_write(True)

    def rollback(self) -> None:
        self.pending = 0
        self.inner.rollback()
