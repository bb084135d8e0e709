"""Money, Location and Interval keep their invariants."""

from datetime import UTC, datetime, timedelta

import pytest

from bookiji_core import Interval, Location, Money
from bookiji_core.errors import InvalidInput


def test_money_is_integer_minor_units_and_refuses_floats() -> None:
    with pytest.raises(InvalidInput):
        Money("CAD", 1.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        Money("cad", 100)


def test_money_of_different_currencies_cannot_be_added() -> None:
    with pytest.raises(InvalidInput):
        _ = Money("CAD", 1) + Money("USD", 1)


def test_a_price_for_part_of_an_hour_rounds_half_up_to_a_cent() -> None:
    assert Money("CAD", 4500).times_fraction(90, 60) == Money("CAD", 6750)
    assert Money("CAD", 1).times_fraction(1, 2) == Money("CAD", 1)
    assert Money("CAD", 1000).times_fraction(20, 60) == Money("CAD", 333)


def test_haversine_distance_between_vancouver_and_victoria_is_about_96_km() -> None:
    vancouver, victoria = Location(49.2827, -123.1207), Location(48.4284, -123.3656)
    assert 95 < vancouver.distance_km(victoria) < 97


@pytest.mark.parametrize("lat,lon", [(91, 0), (-91, 0), (0, 181), (0, -181), (float("nan"), 0)])
def test_a_location_off_the_globe_is_refused(lat: float, lon: float) -> None:
    with pytest.raises(InvalidInput):
        Location(lat, lon)


def test_intervals_are_half_open_so_back_to_back_slots_do_not_overlap() -> None:
    t = datetime(2030, 1, 1, 10, tzinfo=UTC)
    first = Interval.starting(t, 60)
    second = Interval.starting(t + timedelta(hours=1), 30)
    assert not first.overlaps(second)
    assert first.overlaps(Interval.starting(t + timedelta(minutes=59), 30))


def test_an_interval_needs_aware_times_and_a_positive_length() -> None:
    with pytest.raises(InvalidInput):
        Interval.starting(datetime(2030, 1, 1, 10), 60)
    t = datetime(2030, 1, 1, 10, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        Interval(t, t)
