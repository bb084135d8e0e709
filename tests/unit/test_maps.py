"""Maps: an offline grid of named cells, and a primary provider with a reported fallback."""

from __future__ import annotations

import pytest

from bookiji_adapters.maps import FallbackMapProvider, GridMapProvider
from bookiji_adapters.memory import InMemoryTelemetry
from bookiji_core.values import Location

DOWNTOWN = Location(49.2827, -123.1207)
GASTOWN = Location(49.2840, -123.1090)
SYDNEY = Location(-33.8688, 151.2093)


class _Primary:
    def __init__(self) -> None:
        self.down = False
        self.calls = 0

    def zone_for(self, location: Location) -> str:
        self.calls += 1
        if self.down:
            raise TimeoutError("maps.example: read timed out")
        return "Downtown Vancouver"


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_grid_zone_names_the_cell_by_its_south_west_corner() -> None:
    grid = GridMapProvider(cell_degrees=0.05)

    assert grid.zone_for(DOWNTOWN) == "grid N49.25 W123.15"
    assert grid.zone_for(SYDNEY) == "grid S33.90 E151.20"


def test_nearby_points_share_a_cell_and_no_zone_reveals_the_exact_point() -> None:
    grid = GridMapProvider()

    assert grid.zone_for(DOWNTOWN) == grid.zone_for(GASTOWN)
    assert "49.2827" not in grid.zone_for(DOWNTOWN)


def test_a_grid_cell_must_have_a_sensible_size() -> None:
    with pytest.raises(ValueError, match="cell_degrees"):
        GridMapProvider(cell_degrees=0)


def test_the_primary_answers_while_it_is_up_and_is_reported_healthy() -> None:
    telemetry = InMemoryTelemetry()
    maps = FallbackMapProvider(_Primary(), GridMapProvider(), telemetry)

    assert maps.zone_for(DOWNTOWN) == "Downtown Vancouver"
    assert telemetry.counts[("map", "primary", "ok")] == 1
    assert telemetry.map_health == {"primary": True}


def test_a_failing_primary_is_reported_down_and_the_fallback_answers() -> None:
    primary, telemetry = _Primary(), InMemoryTelemetry()
    primary.down = True
    maps = FallbackMapProvider(primary, GridMapProvider(), telemetry)

    assert maps.zone_for(DOWNTOWN) == "grid N49.25 W123.15"
    assert telemetry.counts[("map", "primary", "error")] == 1
    assert telemetry.counts[("map", "fallback", "ok")] == 1
    assert telemetry.map_health["primary"] is False


def test_after_a_failure_the_primary_rests_then_is_tried_again() -> None:
    primary, telemetry, clock = _Primary(), InMemoryTelemetry(), _Clock()
    maps = FallbackMapProvider(
        primary, GridMapProvider(), telemetry, retry_after=30, monotonic=clock
    )
    primary.down = True
    maps.zone_for(DOWNTOWN)
    primary.down = False

    maps.zone_for(DOWNTOWN)  # within 30 s: no call to the primary
    assert primary.calls == 1
    clock.now += 31
    assert maps.zone_for(DOWNTOWN) == "Downtown Vancouver"
    assert telemetry.counts[("map", "fallback", "ok")] == 2
    assert telemetry.map_health["primary"] is True


def test_forcing_the_fallback_skips_the_primary() -> None:
    primary, telemetry = _Primary(), InMemoryTelemetry()
    maps = FallbackMapProvider(primary, GridMapProvider(), telemetry, force_fallback=lambda: True)

    assert maps.zone_for(DOWNTOWN).startswith("grid ")
    assert primary.calls == 0


def test_a_health_check_reports_the_primary_without_a_lookup_being_counted() -> None:
    primary, telemetry = _Primary(), InMemoryTelemetry()
    maps = FallbackMapProvider(primary, GridMapProvider(), telemetry)
    primary.down = True

    assert maps.check_health(DOWNTOWN) is False
    assert telemetry.map_health == {"primary": False}
    primary.down = False
    assert maps.check_health(DOWNTOWN) is True
    assert telemetry.map_health == {"primary": True}
    assert not any(key[0] == "map" for key in telemetry.counts)


def test_when_both_providers_fail_the_error_is_raised_and_counted() -> None:
    primary, telemetry = _Primary(), InMemoryTelemetry()
    primary.down = True
    broken = _Primary()
    broken.down = True
    maps = FallbackMapProvider(primary, broken, telemetry)

    with pytest.raises(TimeoutError):
        maps.zone_for(DOWNTOWN)
    assert telemetry.counts[("map", "fallback", "error")] == 1
