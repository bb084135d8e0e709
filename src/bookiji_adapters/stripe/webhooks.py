"""Stripe webhook signatures: verify `Stripe-Signature` and turn the event into a core trigger.

Stripe's scheme: `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>`
(several v1 entries may appear while a secret is being rolled); an event older than the
tolerance (300 s) is refused, against replays."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime

from bookiji_core.errors import WebhookSignatureInvalid
from bookiji_core.webhooks import WebhookEvent

TOLERANCE_SECONDS = 300


def signature_header(payload: bytes, secret: str, timestamp: int) -> str:
    """The header Stripe would send with `payload` at `timestamp` (used by SimCity and tests)."""
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(
    payload: bytes,
    header: str | None,
    secret: str,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    """Raise WebhookSignatureInvalid unless one v1 signature matches and `t` is recent."""
    if not header:
        raise WebhookSignatureInvalid("missing Stripe-Signature header")
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        parts.setdefault(name, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise WebhookSignatureInvalid("Stripe-Signature has no valid timestamp") from None
    expected = signature_header(payload, secret, timestamp).split("v1=", 1)[1]
    if not any(hmac.compare_digest(expected, given) for given in parts.get("v1", [])):
        raise WebhookSignatureInvalid("no Stripe-Signature v1 signature matches the payload")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookSignatureInvalid(f"Stripe-Signature timestamp is outside {tolerance} s")


def parse_event(payload: bytes) -> WebhookEvent:
    """The event id, its type and the PaymentIntent it concerns (for payment_intent.* events
    the object itself; for charge.* and refund events its `payment_intent`)."""
    try:
        body = json.loads(payload)
        obj: Mapping[str, object] = body["data"]["object"]
        event_id, event_type = str(body["id"]), str(body["type"])
        intent = (
            obj.get("id") if obj.get("object") == "payment_intent" else obj.get("payment_intent")
        )
        created = body.get("created")
        when = datetime.fromtimestamp(created, UTC) if isinstance(created, int) else None
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError, OSError):
        raise WebhookSignatureInvalid("the payload is not a Stripe event") from None
    return WebhookEvent(
        id=event_id,
        type=event_type,
        intent_id=intent if isinstance(intent, str) else None,
        created=when,
    )


def verified_event(
    payload: bytes, header: str | None, secret: str, *, now: float | None = None
) -> WebhookEvent:
    verify_signature(payload, header, secret, now=now)
    return parse_event(payload)
