"""The catalogue at the edges: request shapes (HTTP bodies, bkctl flags) in, the view out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bookiji_core.catalogue import ServiceOffer
from bookiji_core.errors import InvalidInput
from bookiji_core.schedule import WEEKDAYS, DayException, Hours
from bookiji_core.usecases.catalogue import Availability, CatalogueView, catalogue_record
from bookiji_core.values import Interval, Location, Money, require_aware
from bookiji_entry.shapes import catalogue as shapes
from bookiji_entry.shapes import codec
from bookiji_entry.shapes.common import utc


def offer(service_type: str, body: shapes.ServiceOffer, currency: str) -> ServiceOffer:
    rate = Money(currency, body.hourly_rate_minor)
    return ServiceOffer(service_type, rate, tuple(body.durations))


def weekly(body: shapes.WeeklyHours) -> tuple[str, tuple[tuple[Hours, ...], ...]]:
    """`{"time_zone": "America/Vancouver", "weekly": {"mon": ["09:00-17:00"], ...}}`; a day
    left out is closed."""
    ranges = tuple(tuple(Hours.parse(h) for h in getattr(body.weekly, day)) for day in WEEKDAYS)
    return body.time_zone, ranges


def day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("date", f"date must look like 2026-12-24, not {text!r}") from None


def exception(on: str, body: shapes.DateHours) -> DayException:
    """`{"closed": true}` or `{"hours": ["18:00-21:00"]}`."""
    if body.closed == bool(body.hours):
        raise InvalidInput("hours", 'send either "closed": true or a non-empty "hours" list')
    return DayException(day(on), tuple(Hours.parse(h) for h in body.hours))


def location(body: shapes.Place) -> tuple[str, Location, str]:
    return body.address, Location(body.latitude, body.longitude), body.zone


def interval(start: datetime, end: datetime) -> Interval:
    return Interval(require_aware(start, "from"), require_aware(end, "to"))


def interval_of(start: str, end: str) -> Interval:
    """bkctl's `--from` and `--to`, read as the query string is."""
    query = codec.convert({"from": start, "to": end}, shapes.AvailabilityQuery, strict=False)
    return interval(query.start, query.end)


def view(found: CatalogueView) -> shapes.Catalogue:
    """The owner's (or an admin's) view: the exact location is here and nowhere public."""
    v = found.vendor
    return codec.shaped(
        {
            "vendor_id": v.id,
            "location": {
                "address": v.address,
                "latitude": v.location.latitude,
                "longitude": v.location.longitude,
            },
            "zone": v.zone,
            **catalogue_record(found.catalogue),
        },
        shapes.Catalogue,
    )


def windows(found: Availability) -> shapes.Availability:
    def listed(items: Sequence[Interval]) -> list[shapes.Window]:
        return [shapes.Window(utc(w.start), utc(w.end)) for w in items]

    return shapes.Availability(
        utc(found.within.start), utc(found.within.end), listed(found.open), listed(found.free)
    )
