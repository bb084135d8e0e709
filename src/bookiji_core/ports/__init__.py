"""The ports: what the core needs from the world, as typing.Protocols named by role."""

from bookiji_core.ports.notifications import ContactChannels, Notifications, Notifier
from bookiji_core.ports.payments import PaymentGateway
from bookiji_core.ports.principals import Principals
from bookiji_core.ports.services import Clock, Ids, MapProvider, Telemetry
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
    Quotes,
    UnitOfWork,
    UnitOfWorkFactory,
    Vendors,
    WebhookInbox,
)
from bookiji_core.ports.workers import Heartbeat, WorkerHeartbeats

__all__ = [
    "AccessLog",
    "AuditTrail",
    "Bookings",
    "Catalogues",
    "Clock",
    "ContactChannels",
    "Controls",
    "Customers",
    "Heartbeat",
    "IdempotencyKeys",
    "Ids",
    "Ledger",
    "MapProvider",
    "Notifications",
    "Notifier",
    "Outbox",
    "PaymentGateway",
    "Principals",
    "Quotes",
    "Telemetry",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "Vendors",
    "WebhookInbox",
    "WorkerHeartbeats",
]
