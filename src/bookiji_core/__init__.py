"""Bookiji booking core: the pure domain (quote, confirm, lifecycle, payments) and its ports.

Import the use cases from `bookiji_core.usecases`, the ports from `bookiji_core.ports`
(docs/library.md). `__version__` is the one version of the `bookiji` distribution.
"""

from bookiji_core.access import AccessLogEntry, Principal, Role
from bookiji_core.booking import Actor, ActorType, AuditEntry, Booking, BookingState
from bookiji_core.catalogue import Customer, Vendor
from bookiji_core.errors import DomainError
from bookiji_core.payments import OutboxMessage, OutboxState, PaymentAction, PaymentStatus
from bookiji_core.quoting import Candidate, Quote, QuotePolicy, QuoteRequest
from bookiji_core.values import BookingId, CustomerId, Interval, Location, Money, QuoteId, VendorId

__version__ = "0.1.0"

__all__ = [
    "AccessLogEntry",
    "Actor",
    "ActorType",
    "AuditEntry",
    "Booking",
    "BookingId",
    "BookingState",
    "Candidate",
    "Customer",
    "CustomerId",
    "DomainError",
    "Interval",
    "Location",
    "Money",
    "OutboxMessage",
    "OutboxState",
    "PaymentAction",
    "PaymentStatus",
    "Principal",
    "Quote",
    "QuoteId",
    "QuotePolicy",
    "QuoteRequest",
    "Role",
    "Vendor",
    "VendorId",
    "__version__",
]
