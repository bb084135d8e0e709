"""A vendor's catalogue: services, weekly hours, exceptions, location, and availability."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar

import msgspec
from msgspec import Meta, field

from bookiji_core.schedule import HOURS_PATTERN
from bookiji_core.usecases.catalogue import MAX_ZONE_LENGTH
from bookiji_core.values import MAX_SLUG_LENGTH, SLUG_PATTERN
from bookiji_entry.shapes.common import NO_NUL, Id, Timestamp
from bookiji_entry.shapes.quotes import POLICY, Latitude, Longitude

MAX_RATE_MINOR = 10_000_000  # $100,000 an hour: a typo, not a price
MAX_ADDRESS = 500
ServiceType = Annotated[str, Meta(max_length=MAX_SLUG_LENGTH, pattern=SLUG_PATTERN)]
Day = Annotated[
    str, Meta(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", extra_json_schema={"format": "date"})
]
HoursText = Annotated[str, Meta(pattern=HOURS_PATTERN, examples=["09:00-17:00"])]
DayHours = Annotated[list[HoursText], Meta(max_length=48)]
TimeZone = Annotated[
    str, Meta(min_length=1, max_length=64, pattern=NO_NUL, examples=["America/Vancouver"])
]
# A time with an offset, checked by the core (the field is named in its error).
QueryTime = Annotated[datetime, Meta(extra_json_schema={"format": "date-time"})]


class ServiceOffer(msgspec.Struct):
    """A service the vendor offers, at an hourly rate in the deployment's currency."""

    hourly_rate_minor: Annotated[int, Meta(ge=1, le=MAX_RATE_MINOR)]
    durations: Annotated[
        list[Annotated[int, Meta(ge=1, le=POLICY.max_duration_minutes)]], Meta(max_length=48)
    ] = []


class Weekly(msgspec.Struct, forbid_unknown_fields=True):
    """Opening hours per weekday; a day left out is closed."""

    mon: DayHours = []
    tue: DayHours = []
    wed: DayHours = []
    thu: DayHours = []
    fri: DayHours = []
    sat: DayHours = []
    sun: DayHours = []


class WeeklyHours(msgspec.Struct):
    time_zone: TimeZone
    weekly: Weekly


class DateHours(msgspec.Struct):
    """`{"closed": true}` or `{"hours": [...]}`: a date closed, or with its own hours."""

    closed: bool = False
    hours: DayHours = []

    # The rule between the two fields, which the document says too (http/openapi.py merges
    # `json_schema_rules` into the shape's schema) and `catalogue_io.exception` enforces.
    json_schema_rules: ClassVar[dict[str, Any]] = {
        "oneOf": [
            {
                "required": ["closed"],
                "properties": {"closed": {"const": True}, "hours": {"maxItems": 0}},
            },
            {
                "required": ["hours"],
                "properties": {"closed": {"const": False}, "hours": {"minItems": 1}},
            },
        ]
    }


class Place(msgspec.Struct):
    """The exact location (never shown to customers) and the public zone."""

    address: Annotated[str, Meta(min_length=1, max_length=MAX_ADDRESS, pattern=NO_NUL)]
    latitude: Latitude
    longitude: Longitude
    zone: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=MAX_ZONE_LENGTH,
            pattern=NO_NUL,
            description="The public area customers see",
        ),
    ]


class AvailabilityQuery(msgspec.Struct, forbid_unknown_fields=True):
    start: QueryTime = field(name="from")
    end: QueryTime = field(name="to")


class ExactLocation(msgspec.Struct):
    address: str
    latitude: float
    longitude: float


class ExceptionDay(msgspec.Struct):
    date: str
    closed: bool
    hours: list[str]


class Rate(msgspec.Struct):
    amount: int
    currency: str


class OfferedService(msgspec.Struct):
    service_type: str
    hourly_rate: Rate
    durations: list[int]


class Catalogue(msgspec.Struct, forbid_unknown_fields=True):
    """The catalogue, with the exact location (the owner and admins only)."""

    vendor_id: Id
    location: ExactLocation
    zone: str
    time_zone: str
    weekly: dict[str, list[str]]
    exceptions: list[ExceptionDay]
    services: list[OfferedService]


class Window(msgspec.Struct):
    start: Timestamp
    end: Timestamp


class Availability(msgspec.Struct):
    """Open windows from the rules, and the part of them no booking occupies."""

    start: Timestamp = field(name="from")
    end: Timestamp = field(name="to")
    open: list[Window]
    free: list[Window]
