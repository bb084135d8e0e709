"""The in-memory storage's state, and the base every in-memory repository reads it through."""

from __future__ import annotations

import copy
from typing import Protocol

import attrs

from bookiji_adapters.memory.notifications import NotificationTables
from bookiji_core.access import AccessLogEntry, Principal
from bookiji_core.booking import AuditEntry, Booking
from bookiji_core.catalogue import Customer, Vendor, VendorCatalogue
from bookiji_core.idempotency import IdempotencyRecord
from bookiji_core.ledger import LedgerEntry
from bookiji_core.payments import OutboxMessage
from bookiji_core.ports.workers import Heartbeat
from bookiji_core.principals import Admin, PrincipalAction, TokenGrant
from bookiji_core.privacy import Tombstone
from bookiji_core.privacy_queue import PrivacyRequest
from bookiji_core.quoting import Quote
from bookiji_core.values import BookingId, CustomerId, Interval, QuoteId, VendorId
from bookiji_core.webhooks import ReceivedEvent


@attrs.define
class MemoryState:
    vendors: dict[VendorId, Vendor] = attrs.field(factory=dict)
    windows: dict[VendorId, list[Interval]] = attrs.field(factory=dict)
    catalogues: dict[VendorId, VendorCatalogue] = attrs.field(factory=dict)
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
    privacy_requests: dict[str, PrivacyRequest] = attrs.field(factory=dict)
    token_grants: dict[str, TokenGrant] = attrs.field(factory=dict)
    admins: dict[str, Admin] = attrs.field(factory=dict)
    principal_actions: list[PrincipalAction] = attrs.field(factory=list)
    notify: NotificationTables = attrs.field(factory=NotificationTables)
    heartbeats: dict[tuple[str, str, int], Heartbeat] = attrs.field(factory=dict)

    def working_copy(self) -> MemoryState:
        # A shallow copy of each collection: values are immutable or copied on the way in and
        # out, so a rollback only has to drop the working copy.
        fields = attrs.fields(MemoryState)
        return MemoryState(**{f.name: copy.copy(getattr(self, f.name)) for f in fields})


class Working(Protocol):
    """A transaction's view of the state (the unit of work): what repositories read."""

    @property
    def working(self) -> MemoryState: ...


class Repo:
    def __init__(self, uow: Working) -> None:
        self._uow = uow

    @property
    def _s(self) -> MemoryState:
        return self._uow.working
