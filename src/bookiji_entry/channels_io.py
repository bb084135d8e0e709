"""Notification channels at the edges: a request's address and secret, and a channel as shown
(never its secret), shared by the HTTP routes and `bkctl channels`."""

from __future__ import annotations

from typing import Any

from bookiji_adapters.webhooks_out import new_secret
from bookiji_core.errors import InvalidInput
from bookiji_core.notifications import Channel, ChannelPreference
from bookiji_entry.shapes import codec
from bookiji_entry.shapes.channels import ChannelRequest, ContactChannel


def render(preference: ChannelPreference) -> dict[str, Any]:
    found: dict[str, Any] = codec.plain(ContactChannel.of(preference))
    return found


def address_and_secret(channel: Channel, body: ChannelRequest) -> tuple[str, str | None, bool]:
    """The address, the secret to store, and whether it was made here (a webhook registered
    without a secret gets a fresh one, shown once)."""
    if not body.address.strip():
        raise InvalidInput("address", "address is required (an email address or an https URL)")
    secret = body.secret if isinstance(body.secret, str) else None
    if channel is Channel.WEBHOOK and secret is None:
        return body.address, new_secret(), True
    if channel is Channel.EMAIL and secret is not None:
        raise InvalidInput("secret", "only a webhook endpoint has a secret")
    return body.address, secret, False
