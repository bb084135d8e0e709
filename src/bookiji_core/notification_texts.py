"""What each notification says, rendered from the booking: subject, body and JSON payload.

Deliberately little personal data (docs/privacy/pii_map.yml, notifications): a vendor is told
the booking's id, time, price and deadline, never the customer's name or contact; a customer
is greeted by their own name and told the vendor's public zone, never the vendor's address."""

from __future__ import annotations

import json
from datetime import datetime

from bookiji_core.booking import Booking
from bookiji_core.notifications import Content, NotificationKind, Role

_SUBJECTS = {
    NotificationKind.AWAITING_VENDOR: {
        Role.VENDOR: "New booking {id}: please confirm by {deadline}",
        Role.CUSTOMER: "Booking {id} is waiting for the vendor (until {deadline})",
    },
    NotificationKind.CONFIRMED: {
        Role.VENDOR: "Booking {id} is confirmed",
        Role.CUSTOMER: "Booking {id} is confirmed by the vendor",
    },
    NotificationKind.CANCELLED: {
        Role.VENDOR: "Booking {id} was cancelled",
        Role.CUSTOMER: "Booking {id} was cancelled",
    },
    NotificationKind.AUTO_CANCELLED: {
        Role.VENDOR: "Booking {id} was cancelled: not confirmed by {deadline}",
        Role.CUSTOMER: "Booking {id} was cancelled: the vendor did not confirm in time",
    },
    NotificationKind.REFUNDED: {
        Role.CUSTOMER: "Booking {id} was refunded",
    },
    NotificationKind.PAYMENT_FAILED: {
        Role.VENDOR: "Booking {id} was cancelled: the payment failed",
        Role.CUSTOMER: "Booking {id}: your card was declined",
    },
    NotificationKind.CONFIRM_REMINDER: {
        Role.VENDOR: "Reminder: booking {id} is waiting for you; confirm by {deadline}",
    },
}

_LINES = {
    NotificationKind.AWAITING_VENDOR: {
        Role.VENDOR: "A customer booked you for {when}. Confirm by {deadline}, or the booking "
        "is cancelled automatically.",
        Role.CUSTOMER: "Your booking for {when} is placed and a {fee} hold is on your card. "
        "The vendor has until {deadline} to confirm.",
    },
    NotificationKind.CONFIRMED: {
        Role.VENDOR: "You confirmed the booking for {when}.",
        Role.CUSTOMER: "The vendor confirmed your booking for {when}; the {fee} commitment fee "
        "is charged.",
    },
    NotificationKind.CANCELLED: {
        Role.VENDOR: "The booking for {when} was cancelled; the time is free again.",
        Role.CUSTOMER: "Your booking for {when} was cancelled; nothing is charged for it (a "
        "{fee} hold is released, a fee already taken is refunded).",
    },
    NotificationKind.AUTO_CANCELLED: {
        Role.VENDOR: "The booking for {when} was not confirmed by {deadline} and was "
        "cancelled; the time is free again.",
        Role.CUSTOMER: "The vendor did not confirm your booking for {when} by {deadline}. It "
        "is cancelled and the {fee} hold is released.",
    },
    NotificationKind.REFUNDED: {
        Role.CUSTOMER: "Your booking for {when} was rolled back; the {fee} commitment fee is "
        "refunded.",
    },
    NotificationKind.PAYMENT_FAILED: {
        Role.VENDOR: "The customer's payment for the booking for {when} failed; the booking "
        "is cancelled and the time is free again.",
        Role.CUSTOMER: "The {fee} hold for your booking for {when} was refused by your card's "
        "issuer, so the booking is cancelled. Nothing was charged.",
    },
    NotificationKind.CONFIRM_REMINDER: {
        Role.VENDOR: "A customer is waiting for you to confirm the booking for {when}. Confirm "
        "by {deadline}, or it is cancelled automatically and the customer's hold released.",
    },
}


def audience(kind: NotificationKind) -> tuple[Role, ...]:
    """Who may hear of a change: the vendor of what asks something of them or frees their
    time, the customer of everything about their booking and their money. The person who
    made the change is left out (usecases/notify.py)."""
    return tuple(_SUBJECTS[kind])


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def render(
    kind: NotificationKind, booking: Booking, role: Role, *, name: str, zone: str, at: datetime
) -> Content:
    """`name` is the recipient's own name (a greeting), `zone` the vendor's public zone."""
    fields = {
        "id": booking.id,
        "when": f"{_iso(booking.interval.start)} to {_iso(booking.interval.end)} ({zone})",
        "deadline": _iso(booking.hold_expires_at),
        "fee": str(booking.commitment_fee),
    }
    subject = _SUBJECTS[kind][role].format(**fields)
    body = f"Hello {name},\n\n{_LINES[kind][role].format(**fields)}\n\nBooking: {booking.id}\n"
    data: dict[str, object] = {
        "booking_id": booking.id,
        "state": booking.state.value,
        "starts_at": _iso(booking.interval.start),
        "ends_at": _iso(booking.interval.end),
        "zone": zone,
        "price": {"amount": booking.price.amount, "currency": booking.price.currency},
        "confirm_by": _iso(booking.hold_expires_at),
    }
    # The Standard Webhooks payload shape: type, timestamp, data.
    payload = {"type": kind.value, "timestamp": _iso(at), "data": data}
    return Content(subject, body, json.dumps(payload, sort_keys=True, separators=(",", ":")))
