"""RFC 9457 problem details: the body of every error the API answers."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType


class Problem(msgspec.Struct, omit_defaults=True):
    """RFC 9457 problem details, with a stable machine-readable code"""

    type: Annotated[str, Meta(extra_json_schema={"format": "uri"})]
    title: str
    status: Annotated[int, Meta(ge=400, le=599)]
    detail: str
    code: Annotated[str, Meta(examples=["slot_taken"])]
    field: Annotated[str, Meta(description="The invalid input, if any")] | UnsetType = UNSET
    correlation_id: (
        Annotated[str, Meta(description="The request's X-Request-ID, as in the access log")]
        | UnsetType
    ) = UNSET
    booking_ids: (
        Annotated[list[str], Meta(description="The bookings a catalogue change would strand")]
        | UnsetType
    ) = UNSET
