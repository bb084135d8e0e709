"""A person's records as JSON-ready values: what a privacy export hands over, field by field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bookiji_core.access import AccessLogEntry, Principal
from bookiji_core.booking import AuditEntry, Booking
from bookiji_core.catalogue import Customer, Vendor
from bookiji_core.idempotency import IdempotencyRecord
from bookiji_core.ledger import LedgerEntry
from bookiji_core.payments import OutboxMessage
from bookiji_core.principals import PrincipalAction
from bookiji_core.privacy import Tombstone
from bookiji_core.quoting import Quote
from bookiji_core.values import Interval, Money

Json = dict[str, Any]


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, as the API writes times."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def money(value: Money) -> Json:
    return {"amount": value.amount, "currency": value.currency}


def interval(value: Interval) -> Json:
    return {"start": iso(value.start), "end": iso(value.end)}


def tombstone(t: Tombstone) -> Json:
    return {
        "subject_id": t.subject_id,
        "subject_kind": t.subject_kind.value,
        "state": t.state.value,
        "requested_by": t.requested_by,
        "requested_at": iso(t.requested_at),
        "reason": t.reason,
        "shredded_at": iso(t.shredded_at),
    }


def customer(c: Customer) -> Json:
    return {"id": c.id, "name": c.name, "email": c.email, "phone": c.phone}


def vendor(v: Vendor, windows: list[Interval]) -> Json:
    return {
        "id": v.id,
        "name": v.name,
        "email": v.email,
        "phone": v.phone,
        "address": v.address,
        "location": {"latitude": v.location.latitude, "longitude": v.location.longitude},
        "zone": v.zone,
        "services": sorted(v.services),
        "hourly_rate": money(v.hourly_rate),
        "rating": v.rating,
        "response_minutes": v.response_minutes,
        "open_windows": [interval(w) for w in windows],
    }


def login(p: Principal) -> Json:
    # The token hash is a credential, not information about the person: never exported.
    return {"role": p.role.value, "subject_id": p.subject_id}


def action(a: PrincipalAction) -> Json:
    """An admin's decision about the person's access (invite, rotate, revoke) and why."""
    return {
        "at": iso(a.at),
        "actor_id": a.actor_id,
        "action": a.action.value,
        "subject_id": a.subject_id,
        "role": a.role.value,
        "reason": a.reason,
    }


def quote(q: Quote) -> Json:
    request = q.request
    return {
        "quote_id": q.id,
        "service_type": request.service_type,
        "location": {
            "latitude": request.location.latitude,
            "longitude": request.location.longitude,
            "radius_km": request.radius_km,
        },
        **interval(request.interval),
        "candidates": [
            {
                "provider_id": c.vendor_id,
                "price": money(c.price),
                "eta_minutes": c.eta_minutes,
                "zone": c.zone,
                "distance_km": c.distance_km,
                "score": c.score,
            }
            for c in q.candidates
        ],
        "price": money(q.price),
        "eta_minutes": q.eta_minutes,
        "commitment_fee": money(q.commitment_fee),
        "created_at": iso(q.created_at),
        "expires_at": iso(q.expires_at),
    }


def booking(b: Booking, *, with_payment_method: bool) -> Json:
    found: Json = {
        "booking_id": b.id,
        "quote_id": b.quote_id,
        "customer_id": b.customer_id,
        "provider_id": b.vendor_id,
        "state": b.state.value,
        "payment_status": b.payment_status.value,
        **interval(b.interval),
        "price": money(b.price),
        "commitment_fee": money(b.commitment_fee),
        "payment_intent_id": b.payment_intent_id,
        "hold_expires_at": iso(b.hold_expires_at),
        "created_at": iso(b.created_at),
        "updated_at": iso(b.updated_at),
    }
    if with_payment_method:
        found["payment_method"] = b.payment_method
    return found


def audit(e: AuditEntry) -> Json:
    return {
        "from_state": e.from_state.value,
        "to_state": e.to_state.value,
        "action": e.action,
        "actor_type": e.actor_type.value,
        "actor_id": e.actor_id,
        "reason": e.reason,
        "at": iso(e.at),
    }


def outbox(m: OutboxMessage) -> Json:
    return {
        "message_id": m.id,
        "action": m.command.action.value,
        "amount": money(m.command.amount),
        "state": m.state.value,
        "attempts": m.attempts,
        "created_at": iso(m.created_at),
        "committed_at": iso(m.committed_at),
        "last_error": m.last_error,
    }


def ledger(e: LedgerEntry) -> Json:
    return {
        "kind": e.kind.value,
        "intent_id": e.intent_id,
        "amount": money(e.amount),
        "gateway_ref": e.gateway_ref,
        "at": iso(e.at),
    }


def idempotency(r: IdempotencyRecord) -> Json:
    return {
        "key": r.key,
        "state": r.state.value,
        "booking_id": r.booking_id,
        "error_code": r.error_code,
        "created_at": iso(r.created_at),
        "expires_at": iso(r.expires_at),
    }


def access(e: AccessLogEntry) -> Json:
    return {
        "actor_id": e.actor_id,
        "purpose": e.purpose,
        "resource": e.resource,
        "at": iso(e.at),
    }
