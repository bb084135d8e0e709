"""The booking's lifecycle states, who acts on a booking, and the audit entry each move leaves."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from bookiji_core.values import BookingId


class BookingState(enum.StrEnum):
    QUOTED = "quoted"
    HOLD_PLACED = "hold_placed"
    PROVIDER_CONFIRMED = "provider_confirmed"
    RECEIPT_ISSUED = "receipt_issued"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


# States in which the booking holds the vendor's time.
ACTIVE_STATES = frozenset(
    {BookingState.HOLD_PLACED, BookingState.PROVIDER_CONFIRMED, BookingState.RECEIPT_ISSUED}
)


class ActorType(enum.StrEnum):
    CUSTOMER = "customer"
    VENDOR = "vendor"
    ADMIN = "admin"
    SYSTEM = "system"
    WEBHOOK = "webhook"


@attrs.frozen
class Actor:
    type: ActorType
    id: str

    @classmethod
    def system(cls, name: str = "bookiji") -> Actor:
        return cls(ActorType.SYSTEM, name)


@attrs.frozen
class AuditEntry:
    """One state change of a booking; appended, never changed."""

    booking_id: BookingId
    from_state: BookingState
    to_state: BookingState
    action: str
    actor_type: ActorType
    actor_id: str
    reason: str
    at: datetime
