"""POST /api/quote: what a customer asks for, and the ranked, priced answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from bookiji_core.quoting import QuotePolicy
from bookiji_core.usecases import QuoteResult
from bookiji_core.values import LATITUDE_BOUNDS, LONGITUDE_BOUNDS, MAX_SLUG_LENGTH, SLUG_PATTERN
from bookiji_entry.shapes.common import Currency, Id, Money, Timestamp, utc

# The deployment's limits: settings override only the currency of the policy.
POLICY = QuotePolicy()

# Bounds the core checks itself (it names the field `location.latitude`), published here.
Latitude = Annotated[
    float,
    Meta(extra_json_schema={"minimum": LATITUDE_BOUNDS[0], "maximum": LATITUDE_BOUNDS[1]}),
]
Longitude = Annotated[
    float,
    Meta(extra_json_schema={"minimum": LONGITUDE_BOUNDS[0], "maximum": LONGITUDE_BOUNDS[1]}),
]
RadiusKm = Annotated[
    float,
    Meta(
        gt=0,
        le=POLICY.max_radius_km,
        description=f"Left out: the policy's default ({POLICY.default_radius_km:g})",
    ),
]
Minutes = Annotated[
    int,
    Meta(
        ge=1,
        le=POLICY.max_duration_minutes,
        description=f"Left out: the policy's default ({POLICY.default_duration_minutes})",
    ),
]
ServiceType = Annotated[
    str, Meta(max_length=MAX_SLUG_LENGTH, pattern=SLUG_PATTERN, examples=["haircut"])
]
# Checked by the core (an offset is required; in the future, within max_days_ahead).
RequestedTime = Annotated[
    datetime,
    Meta(
        extra_json_schema={"format": "date-time"},
        description=f"RFC 3339 with an offset; in the future, within {POLICY.max_days_ahead} days",
        examples=["2026-12-01T18:00:00Z"],
    ),
]


class QuoteLocation(msgspec.Struct):
    """Where the customer wants the service, and how far they would go."""

    latitude: Latitude
    longitude: Longitude
    radius_km: RadiusKm | UnsetType = UNSET


class QuoteRequest(msgspec.Struct):
    """A customer's intent: a service near a place for an interval."""

    service_type: ServiceType
    location: QuoteLocation
    date_time: RequestedTime
    duration_minutes: Minutes | UnsetType = UNSET


class Candidate(msgspec.Struct):
    provider_id: Id
    price: Money
    eta_minutes: int
    zone: Annotated[str, Meta(description="A public area, never an address")]


class Quote(msgspec.Struct):
    """The top candidates, the price (the median of the top 3) and how long it holds."""

    quote_id: Id
    service_type: str
    date_time: Timestamp
    duration_minutes: int
    candidates: Annotated[list[Candidate], Meta(max_length=POLICY.max_candidates)]
    price: Money
    eta_minutes: int
    commitment_fee: Money
    currency: Currency
    expires_at: Timestamp
    reused: bool
    notice: Annotated[
        str | None, Meta(description="The SLA banner's message while ops.sla_banner is on.")
    ] = None

    @classmethod
    def of(cls, result: QuoteResult, notice: str | None = None) -> Quote:
        q = result.quote
        return cls(
            quote_id=q.id,
            service_type=q.request.service_type,
            date_time=utc(q.request.interval.start),
            duration_minutes=q.request.interval.minutes,
            candidates=[
                Candidate(c.vendor_id, Money.of(c.price), c.eta_minutes, c.zone)
                for c in q.candidates
            ],
            price=Money.of(q.price),
            eta_minutes=q.eta_minutes,
            commitment_fee=Money.of(q.commitment_fee),
            currency=q.price.currency,
            expires_at=utc(q.expires_at),
            reused=result.reused,
            notice=notice,
        )
