"""Notification channels at the edges: parsing a request and rendering a channel (never its
secret), shared by the HTTP routes and `bkctl channels`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bookiji_adapters.webhooks_out import new_secret
from bookiji_core.errors import InvalidInput
from bookiji_core.notifications import Channel, ChannelPreference


def render(preference: ChannelPreference) -> dict[str, Any]:
    return {
        "principal_id": preference.principal_id,
        "channel": preference.channel.value,
        "address": preference.address,
        "opted_out": preference.opted_out,
        "has_secret": preference.secret is not None,
        "updated_at": preference.updated_at.isoformat().replace("+00:00", "Z")
        if preference.updated_at
        else None,
    }


def address_and_secret(channel: Channel, body: Mapping[str, Any]) -> tuple[str, str | None, bool]:
    """`{address, secret?}`: the address, the secret to store, and whether it was made here
    (a webhook registered without a secret gets a fresh one, shown once)."""
    address = body.get("address")
    if not isinstance(address, str) or not address.strip():
        raise InvalidInput("address", "address is required (an email address or an https URL)")
    secret = body.get("secret")
    if secret is not None and not isinstance(secret, str):
        raise InvalidInput("secret", "secret is a whsec_... string")
    if channel is Channel.WEBHOOK and secret is None:
        return address, new_secret(), True
    if channel is Channel.EMAIL and secret is not None:
        raise InvalidInput("secret", "only a webhook endpoint has a secret")
    return address, secret, False
