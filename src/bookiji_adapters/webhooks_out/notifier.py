"""StandardWebhooksNotifier: POST a notification's JSON to the recipient's endpoint, signed as
the Standard Webhooks specification says (`webhook-id`, `webhook-timestamp`,
`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, a `whsec_` secret)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import httpx

from bookiji_core.errors import DeliveryFailed
from bookiji_core.notifications import Channel, Envelope
from bookiji_core.ports import Clock

SECRET_PREFIX = "whsec_"
# Statuses after which the same request may succeed later (the spec's receivers answer 2xx
# once they have it; anything else is retried, except what says the request itself is wrong).
RETRYABLE = frozenset({408, 409, 425, 429})


def new_secret() -> str:
    """A fresh endpoint secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise DeliveryFailed("the endpoint's secret is not a whsec_ secret", retryable=False)
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except ValueError:
        raise DeliveryFailed("the endpoint's secret is not base64", retryable=False) from None
    if not key:
        raise DeliveryFailed("the endpoint's secret is empty", retryable=False)
    return key


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class StandardWebhooksNotifier:
    """Redirects are not followed (a vendor's endpoint is the URL they registered), and the
    timeout stays well under the delivery lease."""

    def __init__(
        self, clock: Clock, *, timeout: float = 10.0, client: httpx.Client | None = None
    ) -> None:
        self._clock = clock
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=False)

    def send(self, envelope: Envelope) -> None:
        recipient = envelope.recipient
        if recipient.channel is not Channel.WEBHOOK:
            raise DeliveryFailed(f"webhooks cannot send to {recipient.channel}", retryable=False)
        if not envelope.secret:
            raise DeliveryFailed("the endpoint has no signing secret", retryable=False)
        notification = envelope.notification
        body = notification.content.payload_json.encode()
        timestamp = int(self._clock.now().timestamp())
        headers = {
            "content-type": "application/json",
            "webhook-id": notification.id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(envelope.secret, notification.id, timestamp, body),
        }
        try:
            response = self._client.post(recipient.address, content=body, headers=headers)
        except httpx.HTTPError as error:  # refused, reset, timed out
            raise DeliveryFailed(f"endpoint unreachable: {error!r}", retryable=True) from None
        status = response.status_code
        if 200 <= status < 300:
            return
        retryable = status >= 500 or status in RETRYABLE
        raise DeliveryFailed(f"endpoint answered {status}", retryable=retryable)

    def close(self) -> None:
        self._client.close()
