"""StandardWebhooksNotifier: POST a notification's JSON to the recipient's endpoint, signed as
the Standard Webhooks specification says (`webhook-id`, `webhook-timestamp`,
`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, a `whsec_` secret)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

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


Resolve = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (the system resolver, as the HTTP client uses)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def non_public(addresses: list[str]) -> list[str]:
    """The addresses that are not on the public internet: loopback, private, link-local
    (cloud metadata at 169.254.169.254), shared, reserved, multicast, unspecified."""
    found = []
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global or ip.is_multicast:
            found.append(address)
    return found


class StandardWebhooksNotifier:
    """Redirects are not followed (a vendor's endpoint is the URL they registered), and the
    timeout stays well under the delivery lease.

    Unless `allow_private`, an endpoint whose host resolves to an address that is not public
    is refused before anything is sent (permanently: the notification goes to the DLQ with
    the reason): a vendor's URL must not make this service call its own network (the
    metadata service, the database, an admin port). The check resolves the name just before
    the request, which leaves the window of a name that changes between the two lookups;
    a deployment that needs that closed routes webhooks through an egress proxy."""

    def __init__(
        self,
        clock: Clock,
        *,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
        allow_private: bool = False,
        resolver: Resolve = resolve,
    ) -> None:
        self._clock = clock
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=False)
        self._allow_private = allow_private
        self._resolve = resolver

    def _check_target(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DeliveryFailed(f"not an http(s) endpoint: {url}", retryable=False)
        if self._allow_private:
            return
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            addresses = self._resolve(parts.hostname, port)
        except (OSError, UnicodeError) as error:  # the name does not resolve (yet)
            raise DeliveryFailed(f"endpoint unreachable: {error!r}", retryable=True) from None
        refused = non_public(addresses)
        if refused or not addresses:
            raise DeliveryFailed(
                f"refused: {parts.hostname} resolves to {', '.join(refused) or 'nothing'}, "
                "not a public address (BOOKIJI_WEBHOOKS_ALLOW_PRIVATE)",
                retryable=False,
            )

    def send(self, envelope: Envelope) -> None:
        recipient = envelope.recipient
        if recipient.channel is not Channel.WEBHOOK:
            raise DeliveryFailed(f"webhooks cannot send to {recipient.channel}", retryable=False)
        if not envelope.secret:
            raise DeliveryFailed("the endpoint has no signing secret", retryable=False)
        self._check_target(recipient.address)
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
