"""Value objects of the booking domain: money, places, time intervals, identifiers."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import NewType

import attrs

from bookiji_core.errors import InvalidInput

VendorId = NewType("VendorId", str)
CustomerId = NewType("CustomerId", str)
QuoteId = NewType("QuoteId", str)
BookingId = NewType("BookingId", str)

EARTH_RADIUS_KM = 6371.0088


def _currency_code(_inst: object, _attr: object, value: str) -> None:
    if len(value) != 3 or not value.isalpha() or not value.isupper():
        raise InvalidInput("currency", f"currency must be an ISO 4217 code, got {value!r}")


def _integer_amount(_inst: object, _attr: object, value: int) -> None:
    # bool is an int subclass; a True amount is always a bug.
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput("amount", "money is an integer amount of minor units")


@attrs.frozen(order=True)
class Money:
    """An integer amount of minor units (cents) in one currency; never a float."""

    currency: str = attrs.field(validator=_currency_code)
    amount: int = attrs.field(validator=_integer_amount)

    @classmethod
    def of(cls, amount: int, currency: str) -> Money:
        return cls(currency=currency, amount=amount)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.currency, self.amount + other.amount)

    def times_fraction(self, numerator: int, denominator: int) -> Money:
        """Multiply by a rational, rounding half up to the nearest minor unit."""
        if denominator <= 0:
            raise InvalidInput("denominator", "denominator must be positive")
        scaled = self.amount * numerator
        return Money(self.currency, (2 * scaled + denominator) // (2 * denominator))

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InvalidInput("currency", f"cannot mix {self.currency} and {other.currency}")

    def __str__(self) -> str:
        return f"{self.amount / 100:.2f} {self.currency}"


# Decimal degrees (WGS 84); the HTTP shapes publish the same bounds.
LATITUDE_BOUNDS = (-90.0, 90.0)
LONGITUDE_BOUNDS = (-180.0, 180.0)
# Ids are short opaque strings (the schema stores them in 64 characters).
MAX_ID_LENGTH = 64
# A service type is a short ASCII slug such as 'haircut' or 'nail-care'.
MAX_SLUG_LENGTH = 64
SLUG_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
_SLUG = re.compile(SLUG_PATTERN)


def is_slug(value: str) -> bool:
    return _SLUG.fullmatch(value) is not None


def _latitude(_inst: object, _attr: object, value: float) -> None:
    if not (math.isfinite(value) and LATITUDE_BOUNDS[0] <= value <= LATITUDE_BOUNDS[1]):
        raise InvalidInput("location.latitude", "latitude must be between -90 and 90")


def _longitude(_inst: object, _attr: object, value: float) -> None:
    if not (math.isfinite(value) and LONGITUDE_BOUNDS[0] <= value <= LONGITUDE_BOUNDS[1]):
        raise InvalidInput("location.longitude", "longitude must be between -180 and 180")


@attrs.frozen
class Location:
    """A point on Earth in decimal degrees (WGS 84)."""

    latitude: float = attrs.field(converter=float, validator=_latitude)
    longitude: float = attrs.field(converter=float, validator=_longitude)

    def distance_km(self, other: Location) -> float:
        """Great-circle distance by the haversine formula."""
        lat1, lat2 = math.radians(self.latitude), math.radians(other.latitude)
        dlat = lat2 - lat1
        dlon = math.radians(other.longitude - self.longitude)
        h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
        return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))

    def rounded(self, places: int = 3) -> Location:
        return Location(round(self.latitude, places), round(self.longitude, places))


@attrs.frozen
class Area:
    """The points within `radius_km` (great-circle) of `centre`: where a customer looks."""

    centre: Location
    radius_km: float

    def contains(self, point: Location) -> bool:
        return self.centre.distance_km(point) <= self.radius_km

    def holds_in_box(self, point: Location) -> bool:
        south, north, west, east = self.bounds()
        return south <= point.latitude <= north and west <= point.longitude <= east

    def bounds(self) -> tuple[float, float, float, float]:
        """(south, north, west, east) in degrees: a box that holds the whole circle, for an
        index to narrow the candidates before `contains` decides. Where the circle reaches a
        pole or crosses the antimeridian, the box spans every longitude."""
        lat, lon = self.centre.latitude, self.centre.longitude
        dlat = math.degrees(self.radius_km / EARTH_RADIUS_KM)
        south, north = max(-90.0, lat - dlat), min(90.0, lat + dlat)
        if south <= -90.0 or north >= 90.0:
            return south, north, -180.0, 180.0
        # The widest point of the circle in longitude is at its pole-ward latitude.
        reach = math.asin(min(1.0, math.sin(math.radians(dlat)) / math.cos(math.radians(lat))))
        dlon = math.degrees(reach)
        west, east = lon - dlon, lon + dlon
        if west < -180.0 or east > 180.0:
            return south, north, -180.0, 180.0
        return south, north, west, east


def require_aware(value: datetime, field: str = "date_time") -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            field, "times must carry a UTC offset (ISO 8601, e.g. 2026-12-01T10:00:00Z)"
        )
    return value


def _aware(_inst: object, attribute: attrs.Attribute[datetime], value: datetime) -> None:
    require_aware(value, attribute.name)


@attrs.frozen
class Interval:
    """A half-open time interval [start, end) with timezone-aware ends."""

    start: datetime = attrs.field(validator=_aware)
    end: datetime = attrs.field(validator=_aware)

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise InvalidInput("duration_minutes", "an interval must end after it starts")

    @classmethod
    def starting(cls, start: datetime, minutes: int) -> Interval:
        try:
            end = start + timedelta(minutes=minutes)
        except OverflowError:
            raise InvalidInput(
                "duration_minutes", "the interval ends outside the supported calendar"
            ) from None
        return cls(start, end)

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end
