"""Domain objects as JSON-ready values for `bkctl --json`, through the same shapes as the
HTTP answers (bookiji_entry.shapes), so the two cannot differ."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bookiji_core.booking import AuditEntry, Booking
from bookiji_core.usecases import BookingView, QuoteResult
from bookiji_entry.shapes import bookings, codec, quotes


def timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, the one time format the API emits."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _plain(shape: object) -> dict[str, Any]:
    found: dict[str, Any] = codec.plain(shape)
    return found


def quote(result: QuoteResult) -> dict[str, Any]:
    return _plain(quotes.Quote.of(result))


def booking(b: Booking) -> dict[str, Any]:
    return _plain(bookings.Booking.of(b))


def audit_entry(e: AuditEntry) -> dict[str, Any]:
    return _plain(bookings.AuditEntry.of(e))


def booking_view(view: BookingView) -> dict[str, Any]:
    return _plain(bookings.BookingWithAudit.of_view(view))
