"""Money, Location and Interval keep their invariants."""

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bookiji_core import Interval, Location, Money
from bookiji_core.errors import InvalidInput
from bookiji_core.values import EARTH_RADIUS_KM, Area


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


# An area's box must hold every point of its circle, wherever on Earth it lies.
@settings(max_examples=300, deadline=None)
@given(
    lat=st.floats(-90, 90),
    lon=st.floats(-180, 180),
    radius=st.floats(0.01, 2000),
    bearing=st.floats(0, 2 * math.pi),
    share=st.floats(0, 1),
)
def test_an_area_box_holds_every_point_of_its_circle(
    lat: float, lon: float, radius: float, bearing: float, share: float
) -> None:
    area = Area(Location(lat, lon), radius)
    # The point at `share` of the radius along `bearing` (spherical destination formula).
    d = share * radius / EARTH_RADIUS_KM
    phi, lam = math.radians(lat), math.radians(lon)
    phi2 = math.asin(
        max(
            -1.0,
            min(1.0, math.sin(phi) * math.cos(d) + math.cos(phi) * math.sin(d) * math.cos(bearing)),
        )
    )
    lam2 = lam + math.atan2(
        math.sin(bearing) * math.sin(d) * math.cos(phi),
        math.cos(d) - math.sin(phi) * math.sin(phi2),
    )
    lon2 = (math.degrees(lam2) + 540) % 360 - 180
    point = Location(math.degrees(phi2), lon2)
    south, north, west, east = area.bounds()
    assert south - 1e-9 <= point.latitude <= north + 1e-9
    assert west - 1e-9 <= point.longitude <= east + 1e-9


def test_an_area_near_a_pole_or_the_antimeridian_spans_every_longitude() -> None:
    assert Area(Location(89.99, 0.0), 5.0).bounds()[2:] == (-180.0, 180.0)
    assert Area(Location(0.0, 179.99), 5.0).bounds()[2:] == (-180.0, 180.0)
    south, north, west, east = Area(Location(49.28, -123.12), 10.0).bounds()
    assert 49.18 < south < 49.2 and 49.36 < north < 49.38
    assert -123.26 < west < -123.25 and -122.99 < east < -122.98
    assert Area(Location(49.28, -123.12), 10.0).contains(Location(49.3, -123.1))
    assert not Area(Location(49.28, -123.12), 10.0).contains(Location(49.28, -122.9))
