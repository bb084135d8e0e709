"""Bookings: the confirm request, the booking, its audit trail and the list."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, UnsetType

from bookiji_core.booking import AuditEntry as DomainAuditEntry
from bookiji_core.booking import Booking as DomainBooking
from bookiji_core.booking_states import ActorType, BookingState
from bookiji_core.idempotency import MAX_KEY_LENGTH
from bookiji_core.payment_values import PaymentStatus
from bookiji_core.principals import MAX_REASON
from bookiji_core.usecases import BookingView
from bookiji_entry.shapes.common import NO_NUL, Id, Money, Timestamp, utc

MAX_LIST = 100

PaymentMethod = Annotated[
    str, Meta(min_length=1, max_length=255, pattern=NO_NUL, examples=["pm_card_visa"])
]
IdempotencyKey = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        pattern=r"^[\x20-\x7e]*[\x21-\x7e][\x20-\x7e]*$",
        description="A unique key per intended booking; reuse it to retry safely",
    ),
]
Reason = Annotated[str, Meta(min_length=1, max_length=MAX_REASON, pattern=NO_NUL)]


class ConfirmRequest(msgspec.Struct):
    """Book a quoted provider, paying with a payment method."""

    quote_id: Id
    provider_id: Id
    payment_method: PaymentMethod


class CancelRequest(msgspec.Struct):
    """Why the booking is cancelled (optional)."""

    reason: Reason | UnsetType = UNSET


class ListQuery(msgspec.Struct, forbid_unknown_fields=True):
    limit: Annotated[int, Meta(ge=1, le=MAX_LIST)] = MAX_LIST


class Booking(msgspec.Struct):
    """A booking and where its payment stands."""

    booking_id: Id
    quote_id: Id
    customer_id: Id
    provider_id: Id
    state: BookingState
    payment_status: PaymentStatus
    start: Timestamp
    end: Timestamp
    duration_minutes: int
    price: Money
    commitment_fee: Money
    payment_method: str
    hold_expires_at: Timestamp
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, b: DomainBooking) -> Booking:
        return cls(**_fields(b))


def _fields(b: DomainBooking) -> dict[str, Any]:
    return {
        "booking_id": b.id,
        "quote_id": b.quote_id,
        "customer_id": b.customer_id,
        "provider_id": b.vendor_id,
        "state": b.state,
        "payment_status": b.payment_status,
        "start": utc(b.interval.start),
        "end": utc(b.interval.end),
        "duration_minutes": b.interval.minutes,
        "price": Money.of(b.price),
        "commitment_fee": Money.of(b.commitment_fee),
        "payment_method": b.payment_method,
        "hold_expires_at": utc(b.hold_expires_at),
        "created_at": utc(b.created_at),
        "updated_at": utc(b.updated_at),
    }


class AuditEntry(msgspec.Struct):
    """One state change of a booking."""

    from_state: BookingState
    to_state: BookingState
    action: str
    actor_type: ActorType
    actor_id: str
    reason: str
    at: Timestamp

    @classmethod
    def of(cls, e: DomainAuditEntry) -> AuditEntry:
        return cls(
            e.from_state, e.to_state, e.action, e.actor_type, e.actor_id, e.reason, utc(e.at)
        )


class BookingWithAudit(Booking):
    """A booking and every state change it went through."""

    audit: list[AuditEntry]

    @classmethod
    def of_view(cls, view: BookingView) -> BookingWithAudit:
        audit = [AuditEntry.of(e) for e in view.audit]
        return cls(**_fields(view.booking), audit=audit)


class BookingList(msgspec.Struct):
    """Newest first."""

    bookings: list[Booking]
