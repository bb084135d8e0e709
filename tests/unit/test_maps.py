"""Maps: an offline grid of named cells, an HTTP map service, and a primary provider with a
reported fallback and a cache of the primary's answers."""

from __future__ import annotations

import httpx
import pytest

from bookiji_adapters.maps import (
    FallbackMapProvider,
    GridMapProvider,
    HttpMapProvider,
    MapLookupFailed,
    ZoneCache,
)
from bookiji_adapters.memory import InMemoryStorage, InMemoryTelemetry, ManualClock
from bookiji_core.access import Principal, Role
from bookiji_core.usecases.flags import set_flag
from bookiji_core.values import Location
from bookiji_entry.maps import FORCE_FALLBACK, StoredFlag
from tests.unit.conftest import NOW

DOWNTOWN = Location(49.2827, -123.1207)
GASTOWN = Location(49.2840, -123.1090)
SYDNEY = Location(-33.8688, 151.2093)


class _Primary:
    def __init__(self) -> None:
        self.down = False
        self.calls = 0

    def zone_for(self, location: Location, label: str = "") -> str:
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


def test_the_offline_provider_answers_with_the_catalogue_label_when_there_is_one() -> None:
    assert GridMapProvider().zone_for(DOWNTOWN, "Vancouver – Gastown") == "Vancouver – Gastown"


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


def test_a_primary_answer_is_cached_so_a_point_is_asked_once_per_ttl() -> None:
    primary, telemetry, clock = _Primary(), InMemoryTelemetry(), _Clock()
    cache = ZoneCache(ttl=3600, monotonic=clock)
    maps = FallbackMapProvider(primary, GridMapProvider(), telemetry, cache=cache)

    assert maps.zone_for(DOWNTOWN) == maps.zone_for(DOWNTOWN) == "Downtown Vancouver"
    assert primary.calls == 1
    assert telemetry.counts[("map", "primary", "ok")] == 1  # a cache hit reaches no provider
    clock.now += 3601
    maps.zone_for(DOWNTOWN)
    assert primary.calls == 2


def test_while_the_primary_rests_a_cached_zone_still_answers() -> None:
    primary, telemetry = _Primary(), InMemoryTelemetry()
    maps = FallbackMapProvider(primary, GridMapProvider(), telemetry)
    maps.zone_for(DOWNTOWN)
    primary.down = True

    assert maps.zone_for(SYDNEY) == "grid S33.90 E151.20"  # not cached: the primary fails
    assert maps.zone_for(DOWNTOWN) == "Downtown Vancouver"
    assert primary.calls == 2


def test_forcing_the_fallback_bypasses_the_cache_too() -> None:
    primary, telemetry = _Primary(), InMemoryTelemetry()
    forced = False
    maps = FallbackMapProvider(primary, GridMapProvider(), telemetry, force_fallback=lambda: forced)
    maps.zone_for(DOWNTOWN)
    forced = True

    assert maps.zone_for(DOWNTOWN) == "grid N49.25 W123.15"
    assert primary.calls == 1
    assert telemetry.counts[("map", "fallback", "ok")] == 1


def test_without_a_primary_the_fallback_answers_and_is_what_the_metrics_name() -> None:
    telemetry = InMemoryTelemetry()
    maps = FallbackMapProvider(None, GridMapProvider(), telemetry, force_fallback=_refuse)

    assert maps.zone_for(DOWNTOWN) == "grid N49.25 W123.15"
    assert maps.check_health(DOWNTOWN) is True
    assert telemetry.counts[("map", "fallback", "ok")] == 1
    assert telemetry.map_health == {"fallback": True}
    assert not maps.has_primary


def _refuse() -> bool:
    raise AssertionError("with no primary the flag need not be read")


def test_the_zone_cache_forgets_its_oldest_answer_when_full() -> None:
    cache = ZoneCache(max_entries=2)
    cache.put(DOWNTOWN, "a")
    cache.put(GASTOWN, "b")
    cache.put(SYDNEY, "c")

    assert (cache.get(DOWNTOWN), cache.get(GASTOWN), cache.get(SYDNEY)) == (None, "b", "c")


def _service(handler: httpx.MockTransport) -> HttpMapProvider:
    return HttpMapProvider("https://maps.example/api/", transport=handler)


def test_the_http_provider_asks_for_the_point_rounded_to_about_100_m() -> None:
    asked: list[httpx.URL] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.url)
        return httpx.Response(200, json={"zone": " Downtown "})

    assert _service(httpx.MockTransport(answer)).zone_for(DOWNTOWN) == "Downtown"
    assert str(asked[0]) == "https://maps.example/api/v1/zone?lat=49.283&lon=-123.121"


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(500, json={"error": "boom"}),
        httpx.Response(200, json={"zone": ""}),
        httpx.Response(200, json={"zone": 12}),
        httpx.Response(200, json=["Downtown"]),
        httpx.Response(200, text="<html>gateway</html>"),
    ],
    ids=["status-500", "empty-zone", "zone-not-text", "not-an-object", "not-json"],
)
def test_an_http_answer_without_a_usable_zone_is_a_failure(response: httpx.Response) -> None:
    provider = _service(httpx.MockTransport(lambda _request: response))

    with pytest.raises((httpx.HTTPStatusError, MapLookupFailed)):
        provider.zone_for(DOWNTOWN)


def _set_force_fallback(storage: InMemoryStorage, on: bool) -> None:
    admin = Principal(Role.ADMIN, "ops-1")
    set_flag(FORCE_FALLBACK, on, admin, "incident-002", storage.unit_of_work(), ManualClock(NOW))


def test_the_stored_flag_is_read_at_most_once_per_ttl_so_quotes_pay_no_read() -> None:
    storage, clock = InMemoryStorage(), _Clock()
    flag = StoredFlag(storage.unit_of_work, FORCE_FALLBACK, ttl=5, monotonic=clock)
    assert flag() is False

    _set_force_fallback(storage, True)
    assert flag() is False  # within 5 s this process still has the value it read
    clock.now += 5
    assert flag() is True


def test_when_the_flag_cannot_be_read_the_last_value_read_stands() -> None:
    storage, clock = InMemoryStorage(), _Clock()
    _set_force_fallback(storage, True)
    reads = {"fail": False}

    def unit_of_work():  # type: ignore[no-untyped-def]
        if reads["fail"]:
            raise ConnectionError("database unreachable")
        return storage.unit_of_work()

    flag = StoredFlag(unit_of_work, FORCE_FALLBACK, ttl=5, monotonic=clock)
    assert flag() is True
    reads["fail"] = True
    clock.now += 5
    assert flag() is True
