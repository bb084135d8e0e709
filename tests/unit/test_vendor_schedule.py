"""VendorSchedule: weekly hours in the vendor's zone, exceptions, explicit windows, any date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bookiji_core import Interval, Money
from bookiji_core.catalogue import Commitment, ServiceOffer, VendorCatalogue
from bookiji_core.errors import InvalidInput, NotFound
from bookiji_core.schedule import CLOSED, DayException, Hours, VendorSchedule
from bookiji_core.values import VendorId

VANCOUVER = ZoneInfo("America/Vancouver")


def every_day(*ranges: str) -> tuple[tuple[Hours, ...], ...]:
    return (tuple(Hours.parse(r) for r in ranges),) * 7


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=VANCOUVER)


def around(day: date) -> Interval:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return Interval(start, start + timedelta(days=1))


def test_weekly_hours_open_in_the_vendors_time_zone_on_a_date_years_ahead() -> None:
    schedule = VendorSchedule("America/Vancouver", every_day("09:00-17:00"))
    day = date(2031, 6, 18)  # far beyond any seeding horizon

    windows = schedule.open_windows(Interval(local(day, 0), local(day, 23)))

    assert windows == [Interval(local(day, 9).astimezone(UTC), local(day, 17).astimezone(UTC))]
    assert windows[0].start.hour == 16  # 09:00 PDT is 16:00 UTC


def test_a_day_when_clocks_spring_forward_is_an_hour_shorter_in_real_time() -> None:
    schedule = VendorSchedule("America/Vancouver", every_day("00:00-06:00"))
    day = date(2030, 3, 10)  # DST starts at 02:00 in Vancouver

    (window,) = schedule.open_windows(Interval(local(day, 0), local(day, 6)))

    assert window.minutes == 5 * 60
    assert window.start == local(day, 0) and window.end == local(day, 6)


def test_a_weekday_without_hours_is_closed_and_another_weekday_is_not() -> None:
    weekly = list(CLOSED)
    weekly[0] = (Hours.parse("10:00-12:00"),)  # Mondays only
    schedule = VendorSchedule("America/Vancouver", tuple(weekly))
    monday, tuesday = date(2030, 1, 7), date(2030, 1, 8)

    assert schedule.is_open(Interval(local(monday, 10), local(monday, 11)))
    assert not schedule.is_open(Interval(local(tuesday, 10), local(tuesday, 11)))


def test_hours_that_close_at_midnight_reach_the_next_day_and_join_touching_ranges() -> None:
    schedule = VendorSchedule("UTC", every_day("09:00-12:00", "12:00-24:00"))
    day = date(2030, 1, 7)
    start = datetime(2030, 1, 7, 11, tzinfo=UTC)

    assert schedule.is_open(Interval(start, start + timedelta(hours=2)))  # across 12:00
    assert schedule.open_windows(around(day))[0].end == datetime(2030, 1, 8, tzinfo=UTC)


def test_a_closed_day_and_extra_hours_replace_the_weekly_hours_of_their_date() -> None:
    day, extra = date(2030, 1, 8), date(2030, 1, 9)
    schedule = VendorSchedule(
        "America/Vancouver",
        every_day("09:00-17:00"),
        (DayException(day), DayException(extra, (Hours.parse("18:00-21:00"),))),
    )

    assert schedule.open_windows(Interval(local(day, 0), local(day, 23))) == []
    assert not schedule.is_open(Interval(local(extra, 10), local(extra, 11)))
    assert schedule.is_open(Interval(local(extra, 19), local(extra, 21)))


def test_explicit_windows_are_extra_hours_and_a_closed_day_closes_them_too() -> None:
    day, closed = date(2030, 1, 7), date(2030, 1, 8)
    seeded = [Interval(local(d, 8), local(d, 20)) for d in (day, closed)]
    schedule = VendorSchedule("America/Vancouver", CLOSED, (DayException(closed),))

    assert schedule.is_open(Interval(local(day, 8), local(day, 9)), seeded)
    assert not schedule.is_open(Interval(local(closed, 8), local(closed, 9)), seeded)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: VendorSchedule("Mars/Olympus_Mons"), "time_zone"),
        (lambda: VendorSchedule("UTC", every_day("09:00-12:00", "11:00-13:00")), "weekly.mon"),
        (lambda: VendorSchedule("UTC", ((),) * 6), "weekly"),
        (lambda: Hours.parse("17:00-09:00"), "hours"),
        (lambda: Hours.parse("9-17"), "hours"),
        (lambda: Hours.parse("09:00-24:30"), "hours"),
        (
            lambda: VendorSchedule("UTC", CLOSED, (DayException(date(2030, 1, 1)),) * 2),
            "exceptions",
        ),
        (lambda: ServiceOffer("haircut", Money("CAD", 0)), "hourly_rate"),
        (lambda: ServiceOffer("haircut", Money("CAD", 4000), (30, 0)), "durations"),
    ],
)
def test_invalid_rules_are_refused_with_the_field_named(build: object, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        build()  # type: ignore[operator]
    assert refused.value.field == field


def test_an_offer_allows_only_its_durations_and_none_means_any() -> None:
    assert ServiceOffer("haircut", Money("CAD", 4000), (60, 30)).durations == (30, 60)
    assert not ServiceOffer("haircut", Money("CAD", 4000), (30, 60)).allows(45)
    assert ServiceOffer("haircut", Money("CAD", 4000)).allows(45)


def test_a_catalogue_names_the_bookings_it_no_longer_covers() -> None:
    day = date(2030, 1, 7)
    offer = ServiceOffer("haircut", Money("CAD", 4000))
    open_all_day = VendorSchedule("America/Vancouver", every_day("09:00-17:00"))
    catalogue = VendorCatalogue(VendorId("v1"), open_all_day, (offer,))
    morning = Commitment("bk_1", Interval(local(day, 9), local(day, 10)), "haircut")
    afternoon = Commitment("bk_2", Interval(local(day, 15), local(day, 16)), "haircut")

    shorter = catalogue.with_schedule(VendorSchedule("America/Vancouver", every_day("09:00-12:00")))

    assert catalogue.stranded([morning, afternoon]) == []
    assert shorter.stranded([morning, afternoon]) == [afternoon]
    assert catalogue.without_offer("haircut").stranded([morning]) == [morning]
    with pytest.raises(NotFound):
        catalogue.without_offer("massage")
