"""A person's notification channels: setting one, and how one is shown (never its secret)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from bookiji_core.notifications import Channel, ChannelPreference
from bookiji_entry.shapes.common import NO_NUL, Id, Timestamp, utc_or_none

MAX_ADDRESS = 2048


class ChannelRequest(msgspec.Struct):
    """An email address, or a vendor's Standard Webhooks endpoint (https URL)."""

    address: Annotated[str, Meta(min_length=1, max_length=MAX_ADDRESS, pattern=NO_NUL)]
    secret: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=255,
                pattern=NO_NUL,
                description="webhook only: whsec_...; made if absent",
            ),
        ]
        | UnsetType
    ) = UNSET


class ContactChannel(msgspec.Struct):
    """A channel, opted in or out; `secret` only when this request made it."""

    principal_id: Id
    channel: Channel
    address: str
    opted_out: bool
    has_secret: bool
    updated_at: Timestamp | None
    secret: Annotated[str, Meta(description="Only when made by this request")] | UnsetType = UNSET

    @classmethod
    def of(cls, p: ChannelPreference, *, made_secret: str | None = None) -> ContactChannel:
        return cls(
            p.principal_id,
            p.channel,
            p.address,
            p.opted_out,
            p.secret is not None,
            utc_or_none(p.updated_at),
            UNSET if made_secret is None else made_secret,
        )


class ChannelList(msgspec.Struct):
    channels: list[ContactChannel]
