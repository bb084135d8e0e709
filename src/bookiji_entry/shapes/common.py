"""Types every area uses: ids, times, money, text without NUL, and the health status."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from bookiji_core import values
from bookiji_core.values import MAX_ID_LENGTH

# PostgreSQL cannot store NUL in text: every string a request carries is refused with one.
NO_NUL = r"^[^\x00]*$"

# An id as stored (cus_..., ven_..., bk_..., q_...): opaque, at most MAX_ID_LENGTH characters.
Id = Annotated[str, Meta(min_length=1, max_length=MAX_ID_LENGTH, pattern=NO_NUL)]
# Times are RFC 3339 with an offset; the API writes them in UTC with a `Z`.
Timestamp = Annotated[datetime, Meta(tz=True)]
Currency = Annotated[str, Meta(pattern="^[A-Z]{3}$")]


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


class Money(msgspec.Struct):
    """An amount in minor units (cents) of a currency."""

    amount: int
    currency: Currency

    @classmethod
    def of(cls, value: values.Money) -> Money:
        return cls(value.amount, value.currency)


class Status(msgspec.Struct):
    """The answer of a health probe."""

    status: Literal["ok", "ready"]
