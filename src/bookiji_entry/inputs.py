"""The request shapes (an HTTP body, CLI flags) as the core's requests and commands.

The shapes (bookiji_entry.shapes) have checked types, lengths and patterns; the domain's
rules (ranges that depend on the policy, time in the past, ...) are the core's, which raises
InvalidInput with the offending field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from msgspec import UnsetType

from bookiji_core.access import Principal, Role
from bookiji_core.idempotency import validate_key
from bookiji_core.quoting import QuotePolicy, QuoteRequest
from bookiji_core.usecases import ConfirmBooking
from bookiji_core.values import CustomerId, Interval, Location, require_aware
from bookiji_entry.shapes import bookings, codec, quotes


def quote_request(
    request: quotes.QuoteRequest | Mapping[str, Any], principal: Principal, policy: QuotePolicy
) -> QuoteRequest:
    """A customer's request (its shape, or plain values such as CLI flags): a quote is priced
    for the caller's own intent (403 for other roles). A radius or duration left out is the
    policy's default."""
    principal.require(Role.CUSTOMER)
    shape = (
        request
        if isinstance(request, quotes.QuoteRequest)
        else shape_of(request, quotes.QuoteRequest)
    )
    start = require_aware(shape.date_time, "date_time")
    radius = shape.location.radius_km
    minutes = shape.duration_minutes
    return QuoteRequest(
        customer_id=CustomerId(principal.subject_id),
        service_type=shape.service_type,
        location=Location(shape.location.latitude, shape.location.longitude),
        radius_km=policy.default_radius_km if isinstance(radius, UnsetType) else radius,
        interval=Interval.starting(
            start, policy.default_duration_minutes if isinstance(minutes, UnsetType) else minutes
        ),
    )


def confirm_command(
    shape: bookings.ConfirmRequest, principal: Principal, idempotency_key: str | None
) -> ConfirmBooking:
    """The confirm body plus the Idempotency-Key header."""
    return ConfirmBooking(
        principal=principal,
        quote_id=shape.quote_id,
        provider_id=shape.provider_id,
        payment_method=shape.payment_method,
        idempotency_key=validate_key(idempotency_key),
    )


def given(values: Mapping[str, Any]) -> dict[str, Any]:
    """CLI flags as a body: the flags not given are left out (the shape's defaults apply)."""
    found: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, Mapping):
            value = given(value)
        if value is not None:
            found[name] = value
    return found


def shape_of(values: Mapping[str, Any], shape: type[codec.T]) -> codec.T:
    return codec.convert(given(values), shape)
