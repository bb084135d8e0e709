"""Opening hours: weekly ranges in the vendor's time zone, dated exceptions, open windows."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from bookiji_core.errors import InvalidInput
from bookiji_core.values import Interval

MINUTES_PER_DAY = 24 * 60
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# What `Hours.parse` reads: `09:00-17:30`, ASCII digits, `24:00` as a closing time.
HOURS_PATTERN = r"^ *[0-9]{1,2}:[0-9]{2} *- *[0-9]{1,2}:[0-9]{2} *$"


@attrs.frozen(order=True)
class Hours:
    """Local opening hours of one day, in minutes after midnight; 1440 closes at midnight."""

    opens: int
    closes: int

    def __attrs_post_init__(self) -> None:
        if not 0 <= self.opens < self.closes <= MINUTES_PER_DAY:
            raise InvalidInput("hours", "hours must open before they close, within one day")

    @classmethod
    def parse(cls, text: str) -> Hours:
        """`09:00-17:30`; `24:00` is accepted as a closing time."""
        opens, sep, closes = text.partition("-")
        if not sep:
            raise InvalidInput("hours", f"hours must look like 09:00-17:00, not {text!r}")
        return cls(_minute(opens), _minute(closes))

    def overlaps(self, other: Hours) -> bool:
        return self.opens < other.closes and other.opens < self.closes

    def __str__(self) -> str:
        return f"{_clock(self.opens)}-{_clock(self.closes)}"

    def on(self, day: date, zone: ZoneInfo) -> Interval:
        """The range on `day` as UTC instants: wall-clock times, so DST days are right."""
        return Interval(_instant(day, self.opens, zone), _instant(day, self.closes, zone))


def _minute(text: str) -> int:
    hours, sep, minutes = text.strip().partition(":")
    if not (
        sep
        and (hours + minutes).isascii()
        and hours.isdigit()
        and minutes.isdigit()
        and len(minutes) == 2
    ):
        raise InvalidInput("hours", f"a time must look like 09:00, not {text.strip()!r}")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > MINUTES_PER_DAY:
        raise InvalidInput("hours", f"{text.strip()} is not a time of day")
    return value


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    if minute == MINUTES_PER_DAY:
        day, minute = day + timedelta(days=1), 0
    local = datetime.combine(day, time(minute // 60, minute % 60), zone)
    # Converted at once: arithmetic between two datetimes of one zone ignores DST shifts.
    return local.astimezone(UTC)


def _no_overlap(where: str, hours: Sequence[Hours]) -> None:
    ordered = sorted(hours)
    for first, second in itertools.pairwise(ordered):
        if first.overlaps(second):
            raise InvalidInput(where, f"{where}: {first} overlaps {second}")


def _zone(_inst: object, _attr: object, value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput("time_zone", f"{value!r} is not a known IANA time zone") from None


def _weekly(_inst: object, _attr: object, value: tuple[tuple[Hours, ...], ...]) -> None:
    if len(value) != 7:
        raise InvalidInput("weekly", "weekly hours need one entry per weekday, Monday first")
    for name, hours in zip(WEEKDAYS, value, strict=True):
        _no_overlap(f"weekly.{name}", hours)


@attrs.frozen
class DayException:
    """A date whose hours replace the weekly ones: none means closed all day."""

    on: date
    hours: tuple[Hours, ...] = ()

    def __attrs_post_init__(self) -> None:
        _no_overlap(f"exceptions.{self.on.isoformat()}", self.hours)

    @property
    def closed(self) -> bool:
        return not self.hours


def _exceptions(_inst: object, _attr: object, value: tuple[DayException, ...]) -> None:
    days = [e.on for e in value]
    if len(set(days)) != len(days):
        raise InvalidInput("exceptions", "a date can have only one exception")


CLOSED: tuple[tuple[Hours, ...], ...] = ((),) * 7


@attrs.frozen
class VendorSchedule:
    """When a vendor is open. `fixed` windows (dated, in UTC) are extra hours kept from before
    weekly rules existed; an exception's date replaces them as it replaces the weekly hours."""

    time_zone: str = attrs.field(default="UTC", validator=_zone)
    weekly: tuple[tuple[Hours, ...], ...] = attrs.field(default=CLOSED, validator=_weekly)
    exceptions: tuple[DayException, ...] = attrs.field(default=(), validator=_exceptions)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def exception(self, on: date) -> DayException | None:
        return next((e for e in self.exceptions if e.on == on), None)

    def hours_on(self, day: date) -> tuple[Hours, ...]:
        found = self.exception(day)
        return found.hours if found is not None else self.weekly[day.weekday()]

    def open_windows(self, within: Interval, fixed: Iterable[Interval] = ()) -> list[Interval]:
        """Open windows (touching ones merged) that overlap `within`, for any dates."""
        zone = self.zone
        days = list(_local_days(within, zone))
        ruled = [h.on(day, zone) for day in days for h in self.hours_on(day)]
        overridden = [_whole_day(e.on, zone) for e in self.exceptions if e.on in days]
        kept = [part for w in fixed for part in subtract(w, overridden)]
        return [w for w in merged([*ruled, *kept]) if w.overlaps(within)]

    def is_open(self, interval: Interval, fixed: Iterable[Interval] = ()) -> bool:
        return any(w.contains(interval) for w in self.open_windows(interval, fixed))


def _local_days(within: Interval, zone: ZoneInfo) -> Iterator[date]:
    # One day either side: a range that closes at midnight reaches into the next UTC day.
    day = within.start.astimezone(zone).date() - timedelta(days=1)
    last = within.end.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        yield day
        day += timedelta(days=1)


def _whole_day(day: date, zone: ZoneInfo) -> Interval:
    return Hours(0, MINUTES_PER_DAY).on(day, zone)


def subtract(window: Interval, holes: Sequence[Interval]) -> list[Interval]:
    parts = [window]
    for hole in holes:
        cut: list[Interval] = []
        for part in parts:
            if not part.overlaps(hole):
                cut.append(part)
                continue
            if part.start < hole.start:
                cut.append(Interval(part.start, hole.start))
            if hole.end < part.end:
                cut.append(Interval(hole.end, part.end))
        parts = cut
    return parts


def merged(windows: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for w in sorted(windows, key=lambda i: (i.start, i.end)):
        if merged and w.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Interval(last.start, max(last.end, w.end))
        else:
            merged.append(w)
    return merged
