"""The catalogue at the edges: JSON bodies and bkctl arguments in, the catalogue view out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from bookiji_core.catalogue import ServiceOffer
from bookiji_core.errors import InvalidInput
from bookiji_core.schedule import WEEKDAYS, DayException, Hours
from bookiji_core.usecases.catalogue import Availability, CatalogueView, catalogue_record
from bookiji_core.values import Interval, Location, Money, require_aware
from bookiji_entry import render

MAX_RATE_MINOR = 10_000_000  # $100,000 an hour: a typo, not a price


def _integer(value: object, field: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(field, f"{field} must be an integer")
    return value


def _strings(value: object, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(field, f"{field} must be a list of strings such as '09:00-17:00'")
    return list(value)


def offer(service_type: str, body: Mapping[str, Any], currency: str) -> ServiceOffer:
    rate = _integer(body.get("hourly_rate_minor"), "hourly_rate_minor")
    if not 0 < rate <= MAX_RATE_MINOR:
        raise InvalidInput("hourly_rate_minor", f"hourly_rate_minor must be in 1..{MAX_RATE_MINOR}")
    raw = body.get("durations", [])
    if not isinstance(raw, list):
        raise InvalidInput("durations", "durations must be a list of minutes")
    durations = tuple(_integer(d, "durations") for d in raw)
    return ServiceOffer(service_type, Money(currency, rate), durations)


def weekly(body: Mapping[str, Any]) -> tuple[str, tuple[tuple[Hours, ...], ...]]:
    """`{"time_zone": "America/Vancouver", "weekly": {"mon": ["09:00-17:00"], ...}}`; a day
    left out is closed."""
    zone = body.get("time_zone")
    if not isinstance(zone, str):
        raise InvalidInput("time_zone", "time_zone must be an IANA name such as America/Vancouver")
    days = body.get("weekly")
    if not isinstance(days, Mapping):
        raise InvalidInput("weekly", "weekly must be an object keyed mon..sun")
    unknown = sorted(set(days) - set(WEEKDAYS))
    if unknown:
        raise InvalidInput("weekly", f"weekly keys are mon..sun, not {', '.join(unknown)}")
    ranges = tuple(
        tuple(Hours.parse(h) for h in _strings(days.get(day, []), f"weekly.{day}"))
        for day in WEEKDAYS
    )
    return zone, ranges


def day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("date", f"date must look like 2026-12-24, not {text!r}") from None


def exception(on: str, body: Mapping[str, Any]) -> DayException:
    """`{"closed": true}` or `{"hours": ["18:00-21:00"]}`."""
    closed = body.get("closed", False)
    hours = _strings(body.get("hours", []), "hours")
    if not isinstance(closed, bool) or closed == bool(hours):
        raise InvalidInput("hours", 'send either "closed": true or a non-empty "hours" list')
    return DayException(day(on), tuple(Hours.parse(h) for h in hours))


def location(body: Mapping[str, Any]) -> tuple[str, Location, str]:
    for name in ("address", "zone"):
        if not isinstance(body.get(name), str):
            raise InvalidInput(name, f"{name} must be a string")
    for name in ("latitude", "longitude"):
        value = body.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInput(name, f"{name} must be a number")
    try:
        where = Location(body["latitude"], body["longitude"])
    except OverflowError:
        raise InvalidInput("latitude", "latitude and longitude must be finite") from None
    return body["address"], where, body["zone"]


def interval(start: str | None, end: str | None) -> Interval:
    found = []
    for name, text in (("from", start), ("to", end)):
        try:
            found.append(require_aware(datetime.fromisoformat(text or ""), name))
        except ValueError:
            raise InvalidInput(
                name, f"{name} must be an ISO 8601 date-time with an offset"
            ) from None
    return Interval(found[0], found[1])


def view(found: CatalogueView) -> dict[str, Any]:
    """The owner's (or an admin's) view: the exact location is here and nowhere public."""
    v = found.vendor
    return {
        "vendor_id": v.id,
        "location": {
            "address": v.address,
            "latitude": v.location.latitude,
            "longitude": v.location.longitude,
        },
        "zone": v.zone,
        **catalogue_record(found.catalogue),
    }


def windows(found: Availability) -> dict[str, Any]:
    def listed(items: Sequence[Interval]) -> list[dict[str, str]]:
        return [{"start": render.timestamp(w.start), "end": render.timestamp(w.end)} for w in items]

    return {
        "from": render.timestamp(found.within.start),
        "to": render.timestamp(found.within.end),
        "open": listed(found.open),
        "free": listed(found.free),
    }
