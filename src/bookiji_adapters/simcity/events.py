"""The simulated provider's webhook events: Stripe's JSON shapes, signed as Stripe signs them.

SimCity plays Stripe, so it signs its own deliveries (`t=...,v1=HMAC-SHA256(secret,
"t.payload")`, Stripe's published scheme) rather than borrowing the Stripe adapter's code:
the two adapters stay independent, and the Stripe adapter's verifier checks SimCity's
signatures as it checks Stripe's.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from bookiji_adapters.simcity.state import StoredIntent


def signature_header(payload: bytes, secret: str, timestamp: int) -> str:
    """The Stripe-Signature header for `payload` sent at `timestamp`."""
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_payload(event_id: str, event_type: str, intent: StoredIntent, at: datetime) -> bytes:
    """The event's body as Stripe sends it: a payment_intent, or a charge for `charge.*`."""
    obj: dict[str, Any] = {
        "id": intent.id,
        "object": "payment_intent",
        "amount": intent.amount.amount,
        "currency": intent.amount.currency.lower(),
        "status": str(intent.status),
        "capture_method": "manual",
        "amount_received": intent.amount_captured,
        "metadata": {"booking_id": intent.booking_id},
    }
    if event_type.startswith("charge."):
        obj = {
            "id": f"ch_{intent.id[3:]}",
            "object": "charge",
            "payment_intent": intent.id,
            "amount": intent.amount.amount,
            "amount_captured": intent.amount_captured,
            "amount_refunded": intent.amount_refunded,
            "metadata": {"booking_id": intent.booking_id},
        }
    body = {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "created": int(at.timestamp()),
        "data": {"object": obj},
    }
    return json.dumps(body, sort_keys=True).encode()
