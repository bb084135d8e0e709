"""Parse JSON-shaped input (an HTTP body, CLI flags) into the core's requests and commands.

Only shapes and types are checked here; the domain's rules (ranges, time in the past, ...)
are the core's, which raises InvalidInput with the offending field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bookiji_core.access import Principal, Role
from bookiji_core.errors import InvalidInput
from bookiji_core.idempotency import validate_key
from bookiji_core.quoting import QuotePolicy, QuoteRequest
from bookiji_core.usecases import ConfirmBooking
from bookiji_core.values import CustomerId, Interval, Location, require_aware

_MISSING: Any = object()


def quote_request(
    body: Mapping[str, Any], principal: Principal, policy: QuotePolicy
) -> QuoteRequest:
    """`{service_type, location {latitude, longitude, radius_km}, date_time, duration_minutes}`
    from a customer: a quote is priced for the caller's own intent (403 for other roles).
    A missing radius or duration is the policy's default."""
    principal.require(Role.CUSTOMER)
    location = _object(body, "location")
    start = _datetime(body, "date_time")
    minutes = _integer(body, "duration_minutes", policy.default_duration_minutes)
    return QuoteRequest(
        customer_id=CustomerId(principal.subject_id),
        service_type=_string(body, "service_type"),
        location=Location(
            _number(location, "latitude", prefix="location."),
            _number(location, "longitude", prefix="location."),
        ),
        radius_km=_number(location, "radius_km", policy.default_radius_km, prefix="location."),
        interval=Interval.starting(start, minutes),
    )


def confirm_command(
    body: Mapping[str, Any], principal: Principal, idempotency_key: str | None
) -> ConfirmBooking:
    """`{quote_id, provider_id, payment_method}` plus the Idempotency-Key header."""
    key = validate_key(idempotency_key)
    fields = {name: _string(body, name) for name in ("quote_id", "provider_id", "payment_method")}
    return ConfirmBooking(
        principal=principal,
        quote_id=fields["quote_id"],
        provider_id=fields["provider_id"],
        payment_method=fields["payment_method"],
        idempotency_key=key,
    )


def optional_reason(body: Mapping[str, Any], default: str) -> str:
    return _string(body, "reason", default)


def _get(body: Mapping[str, Any], name: str, default: Any, prefix: str) -> Any:
    value = body.get(name, _MISSING)
    if value is _MISSING or value is None:
        if default is _MISSING:
            raise InvalidInput(prefix + name, f"{prefix}{name} is required")
        return default
    return value


def _object(body: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = _get(body, name, _MISSING, "")
    if not isinstance(value, Mapping):
        raise InvalidInput(name, f"{name} must be an object")
    return value


def _string(body: Mapping[str, Any], name: str, default: Any = _MISSING) -> str:
    value = _get(body, name, default, "")
    if not isinstance(value, str):
        raise InvalidInput(name, f"{name} must be a string")
    return value


def _number(
    body: Mapping[str, Any], name: str, default: Any = _MISSING, *, prefix: str = ""
) -> float:
    value = _get(body, name, default, prefix)
    # bool is an int in Python, but `true` is not a number in JSON.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(prefix + name, f"{prefix}{name} must be a number")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise InvalidInput(prefix + name, f"{prefix}{name} must be a finite number")
    return number


def _integer(body: Mapping[str, Any], name: str, default: Any = _MISSING) -> int:
    value = _get(body, name, default, "")
    # JSON does not tell 60 from 60.0; accept both, refuse 60.5 and true.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(name, f"{name} must be an integer")
    return value


def _datetime(body: Mapping[str, Any], name: str) -> datetime:
    text = _string(body, name)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            name, f"{name} must be an ISO 8601 date-time with an offset, e.g. 2026-12-01T10:00:00Z"
        ) from None
    return require_aware(value, name)
