"""The ports: what the core needs from the world, as typing.Protocols named by role."""

from bookiji_core.ports.services import Clock, Ids, MapProvider, Telemetry
from bookiji_core.ports.storage import (
    AccessLog,
    AuditTrail,
    Bookings,
    Customers,
    IdempotencyKeys,
    Outbox,
    Principals,
    Quotes,
    UnitOfWork,
    UnitOfWorkFactory,
    Vendors,
)

__all__ = [
    "AccessLog",
    "AuditTrail",
    "Bookings",
    "Clock",
    "Customers",
    "IdempotencyKeys",
    "Ids",
    "MapProvider",
    "Outbox",
    "Principals",
    "Quotes",
    "Telemetry",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "Vendors",
]
