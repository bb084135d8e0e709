"""A person's records as JSON-ready values: what a privacy export hands over, field by field."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
from bookiji_core.quoting import Candidate, Quote
from bookiji_core.values import BookingId, Interval, Money

Json = dict[str, Any]


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, as the API writes times."""
    if value is None:
        return None
    if value.tzinfo is not UTC:  # the storage adapters already hand over UTC
        value = value.astimezone(UTC)
    return value.isoformat()[:-6] + "Z"  # a UTC isoformat() ends with "+00:00"


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


# A booking's trail and a customer's quotes are the bulk of an export (thousands of rows for a
# frequent customer): the storage adapter reads them as flat rows of the columns below, in
# this order, and builds the records with the `*_record` functions, without a domain object
# per row. The object versions below go through the same functions, so both give the same
# records field for field (tests/contract/test_privacy_bulk_contract.py).
QUOTE_COLUMNS = (
    "id",
    "service_type",
    "latitude",
    "longitude",
    "radius_km",
    "starts_at",
    "ends_at",
    "candidates",  # a list of CANDIDATE_COLUMNS rows
    "price_amount",
    "price_currency",
    "eta_minutes",
    "fee_amount",
    "fee_currency",
    "created_at",
    "expires_at",
)
CANDIDATE_COLUMNS = (
    "vendor_id",
    "price_amount",
    "price_currency",
    "eta_minutes",
    "zone",
    "distance_km",
    "score",
)
BOOKING_COLUMNS = (
    "id",
    "quote_id",
    "customer_id",
    "vendor_id",
    "state",
    "payment_status",
    "starts_at",
    "ends_at",
    "price_amount",
    "price_currency",
    "fee_amount",
    "fee_currency",
    "payment_intent_id",
    "hold_expires_at",
    "created_at",
    "updated_at",
    "payment_method",
)
AUDIT_COLUMNS = ("from_state", "to_state", "action", "actor_type", "actor_id", "reason", "at")
OUTBOX_COLUMNS = (
    "id",
    "action",
    "amount",
    "currency",
    "state",
    "attempts",
    "created_at",
    "committed_at",
    "last_error",
)
LEDGER_COLUMNS = ("kind", "intent_id", "amount", "currency", "gateway_ref", "at")
Row = Sequence[Any]


def quote(q: Quote) -> Json:
    request = q.request
    return quote_record(
        (
            q.id,
            request.service_type,
            request.location.latitude,
            request.location.longitude,
            request.radius_km,
            request.interval.start,
            request.interval.end,
            [_candidate_row(c) for c in q.candidates],
            q.price.amount,
            q.price.currency,
            q.eta_minutes,
            q.commitment_fee.amount,
            q.commitment_fee.currency,
            q.created_at,
            q.expires_at,
        )
    )


def _candidate_row(c: Candidate) -> tuple[Any, ...]:
    return (
        c.vendor_id,
        c.price.amount,
        c.price.currency,
        c.eta_minutes,
        c.zone,
        c.distance_km,
        c.score,
    )


def quote_record(row: Row) -> Json:
    (id_, service, lat, lon, radius, start, end, candidates, price, currency) = row[:10]
    (eta, fee, fee_currency, created_at, expires_at) = row[10:]
    return {
        "quote_id": id_,
        "service_type": service,
        "location": {"latitude": lat, "longitude": lon, "radius_km": radius},
        "start": iso(start),
        "end": iso(end),
        "candidates": [
            {
                "provider_id": vendor_id,
                "price": {"amount": amount, "currency": cur},
                "eta_minutes": minutes,
                "zone": zone,
                "distance_km": distance,
                "score": score,
            }
            for (vendor_id, amount, cur, minutes, zone, distance, score) in candidates
        ],
        "price": {"amount": price, "currency": currency},
        "eta_minutes": eta,
        "commitment_fee": {"amount": fee, "currency": fee_currency},
        "created_at": iso(created_at),
        "expires_at": iso(expires_at),
    }


def booking(b: Booking, *, with_payment_method: bool) -> Json:
    row = (
        b.id,
        b.quote_id,
        b.customer_id,
        b.vendor_id,
        b.state.value,
        b.payment_status.value,
        b.interval.start,
        b.interval.end,
        b.price.amount,
        b.price.currency,
        b.commitment_fee.amount,
        b.commitment_fee.currency,
        b.payment_intent_id,
        b.hold_expires_at,
        b.created_at,
        b.updated_at,
        b.payment_method,
    )
    return booking_record(row, with_payment_method=with_payment_method)


def booking_record(row: Row, *, with_payment_method: bool) -> Json:
    (id_, quote_id, customer_id, vendor_id, state, payment_status, start, end) = row[:8]
    (price, currency, fee, fee_currency, intent_id, hold_expires_at) = row[8:14]
    (created_at, updated_at, payment_method) = row[14:]
    found: Json = {
        "booking_id": id_,
        "quote_id": quote_id,
        "customer_id": customer_id,
        "provider_id": vendor_id,
        "state": state,
        "payment_status": payment_status,
        "start": iso(start),
        "end": iso(end),
        "price": {"amount": price, "currency": currency},
        "commitment_fee": {"amount": fee, "currency": fee_currency},
        "payment_intent_id": intent_id,
        "hold_expires_at": iso(hold_expires_at),
        "created_at": iso(created_at),
        "updated_at": iso(updated_at),
    }
    if with_payment_method:
        found["payment_method"] = payment_method
    return found


def audit(e: AuditEntry) -> Json:
    row = (e.from_state.value, e.to_state.value, e.action, e.actor_type.value, e.actor_id)
    return audit_record((*row, e.reason, e.at))


def audit_record(row: Row) -> Json:
    (from_state, to_state, action_, actor_type, actor_id, reason, at) = row
    return {
        "from_state": from_state,
        "to_state": to_state,
        "action": action_,
        "actor_type": actor_type,
        "actor_id": actor_id,
        "reason": reason,
        "at": iso(at),
    }


def outbox(m: OutboxMessage) -> Json:
    amount = m.command.amount
    row = (m.id, m.command.action.value, amount.amount, amount.currency, m.state.value)
    return outbox_record((*row, m.attempts, m.created_at, m.committed_at, m.last_error))


def outbox_record(row: Row) -> Json:
    (id_, action_, amount, currency, state, attempts, created_at, committed_at, error) = row
    return {
        "message_id": id_,
        "action": action_,
        "amount": {"amount": amount, "currency": currency},
        "state": state,
        "attempts": attempts,
        "created_at": iso(created_at),
        "committed_at": iso(committed_at),
        "last_error": error,
    }


def ledger(e: LedgerEntry) -> Json:
    row = (e.kind.value, e.intent_id, e.amount.amount, e.amount.currency, e.gateway_ref, e.at)
    return ledger_record(row)


def ledger_record(row: Row) -> Json:
    (kind, intent_id, amount, currency, gateway_ref, at) = row
    return {
        "kind": kind,
        "intent_id": intent_id,
        "amount": {"amount": amount, "currency": currency},
        "gateway_ref": gateway_ref,
        "at": iso(at),
    }


def booking_trail(
    bookings: Sequence[Booking],
    audit_of: Mapping[BookingId, Sequence[AuditEntry]],
    outbox_of: Mapping[BookingId, Sequence[OutboxMessage]],
    ledger_of: Mapping[BookingId, Sequence[LedgerEntry]],
    *,
    own_payments: bool,
) -> list[Json]:
    """Bookings as export records, oldest first, each with its `audit` trail; with
    `own_payments` (the customer's export) also the card reference, `payment_messages` and
    `ledger`. From domain objects: what a storage without a set-based read hands over."""
    found = []
    for b in sorted(bookings, key=lambda b: (b.created_at, b.id)):
        item = booking(b, with_payment_method=own_payments)
        item["audit"] = [audit(e) for e in audit_of.get(b.id, ())]
        if own_payments:
            item["payment_messages"] = [outbox(m) for m in outbox_of.get(b.id, ())]
            item["ledger"] = [ledger(e) for e in ledger_of.get(b.id, ())]
        found.append(item)
    return found


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
