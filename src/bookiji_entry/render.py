"""Domain objects as JSON-ready dicts, shared by the HTTP app and `bkctl --json`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bookiji_core.booking import AuditEntry, Booking
from bookiji_core.usecases import BookingView, QuoteResult
from bookiji_core.values import Money


def timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, the one time format the API emits."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def money(value: Money) -> dict[str, Any]:
    return {"amount": value.amount, "currency": value.currency}


def quote(result: QuoteResult) -> dict[str, Any]:
    q = result.quote
    return {
        "quote_id": q.id,
        "service_type": q.request.service_type,
        "date_time": timestamp(q.request.interval.start),
        "duration_minutes": q.request.interval.minutes,
        "candidates": [
            {
                "provider_id": c.vendor_id,
                "price": money(c.price),
                "eta_minutes": c.eta_minutes,
                "zone": c.zone,
            }
            for c in q.candidates
        ],
        "price": money(q.price),
        "eta_minutes": q.eta_minutes,
        "commitment_fee": money(q.commitment_fee),
        "currency": q.price.currency,
        "expires_at": timestamp(q.expires_at),
        "reused": result.reused,
    }


def booking(b: Booking) -> dict[str, Any]:
    return {
        "booking_id": b.id,
        "quote_id": b.quote_id,
        "customer_id": b.customer_id,
        "provider_id": b.vendor_id,
        "state": b.state.value,
        "payment_status": b.payment_status.value,
        "start": timestamp(b.interval.start),
        "end": timestamp(b.interval.end),
        "duration_minutes": b.interval.minutes,
        "price": money(b.price),
        "commitment_fee": money(b.commitment_fee),
        "payment_method": b.payment_method,
        "hold_expires_at": timestamp(b.hold_expires_at),
        "created_at": timestamp(b.created_at),
        "updated_at": timestamp(b.updated_at),
    }


def audit_entry(e: AuditEntry) -> dict[str, Any]:
    return {
        "from_state": e.from_state.value,
        "to_state": e.to_state.value,
        "action": e.action,
        "actor_type": e.actor_type.value,
        "actor_id": e.actor_id,
        "reason": e.reason,
        "at": timestamp(e.at),
    }


def booking_view(view: BookingView) -> dict[str, Any]:
    return {**booking(view.booking), "audit": [audit_entry(e) for e in view.audit]}
