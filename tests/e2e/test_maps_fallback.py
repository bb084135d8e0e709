"""Runbook Incident-002 end to end: quotes name zones through the map service when it is
healthy, through the offline grid when it is slow, failing or down, or when the
`maps.force_fallback` flag is on; the map metrics and the health check show which."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from bookiji_adapters.memory import ManualClock, SequentialIds
from bookiji_adapters.simcity.maps import MapServerMode, SimCityMapServer
from bookiji_adapters.telemetry import PrometheusTelemetry
from bookiji_entry.app import create_app
from bookiji_entry.bootstrap import Services, bootstrap, database_for
from bookiji_entry.cli import main
from bookiji_entry.maps import maps_for
from bookiji_entry.seed import seed_demo
from bookiji_entry.settings import MEMORY_URL, Profile, Settings
from bookiji_entry.workers import maps as maps_worker

from .conftest import CUSTOMER, NOW, bearer, haircut
from .test_metrics_contract import exported, sample

SLOW_SECONDS = 1.5  # the map service's delay when slow: well past the 300 ms timeout


@pytest.fixture
def map_server() -> Iterator[SimCityMapServer]:
    with SimCityMapServer(slow_seconds=SLOW_SECONDS) as server:
        yield server


@pytest.fixture(params=["memory", "sqlite"])
def wired(
    request: pytest.FixtureRequest,
    map_server: SimCityMapServer,
    clock: ManualClock,
    tmp_path: Path,
) -> Iterator[Services]:
    """The test profile pointed at the SimCity map service, with Prometheus metrics and the
    flag read on every lookup (production reads it at most every 5 s). On SQLite too, where a
    flag read inside the quote's transaction would wait on its write lock."""
    url = MEMORY_URL if request.param == "memory" else f"sqlite:///{tmp_path}/bookiji.db"
    settings = Settings(profile=Profile.TEST, database_url=url, maps_url=map_server.url)
    database = database_for(settings)
    database.upgrade()
    telemetry = PrometheusTelemetry(database.unit_of_work)
    maps = maps_for(settings, telemetry, database.unit_of_work, flag_ttl=0)
    services = bootstrap(
        settings,
        clock=clock,
        ids=SequentialIds(),
        database=database,
        telemetry=telemetry,
        maps=maps,
    )
    seed_demo(services.uow(), NOW, fixed_tokens=True)
    yield services
    maps.close()
    database.dispose()


@pytest.fixture
def api(wired: Services) -> TestClient:
    return TestClient(create_app(wired), raise_server_exceptions=False)


def ask(api: TestClient, minutes: int = 60) -> list[str]:
    """A new quote (each duration is a new intent) and the zones it shows."""
    response = api.post(
        "/api/quote", headers=bearer(CUSTOMER), json=haircut(duration_minutes=minutes)
    )
    assert response.status_code == 201, response.text
    return [c["zone"] for c in response.json()["candidates"]]


def metric(api: TestClient, name: str, **labels: str) -> float:
    families: dict[str, Any] = exported(api)
    return sample(families, name, **labels)


def lookups(api: TestClient, provider: str, outcome: str) -> float:
    return metric(api, "bookiji_map_requests_total", provider=provider, outcome=outcome)


def test_a_healthy_map_service_names_the_zones_and_is_reported_up(api: TestClient) -> None:
    zones = ask(api)

    assert len(zones) == 3 and all(z.startswith("SimCity N49.") for z in zones)
    assert lookups(api, "primary", "ok") == 3
    assert lookups(api, "fallback", "ok") == 0
    assert metric(api, "bookiji_map_provider_up", provider="primary") == 1


def test_a_slow_map_service_is_cut_off_and_the_fallback_answers_within_the_timeout(
    api: TestClient, map_server: SimCityMapServer
) -> None:
    map_server.switch(MapServerMode.SLOW)

    started = time.monotonic()
    zones = ask(api)
    elapsed = time.monotonic() - started

    assert all(z.startswith("Vancouver – ") for z in zones)  # the catalogue's labels
    assert elapsed < SLOW_SECONDS  # one timed-out call, then the primary rests
    assert map_server.calls == 1
    assert lookups(api, "primary", "error") == 1
    assert lookups(api, "fallback", "ok") == 3
    assert metric(api, "bookiji_map_provider_up", provider="primary") == 0


@pytest.mark.parametrize("mode", [MapServerMode.ERROR, MapServerMode.DOWN])
def test_a_failing_or_unreachable_map_service_leaves_quotes_to_the_fallback(
    api: TestClient, map_server: SimCityMapServer, mode: MapServerMode
) -> None:
    map_server.switch(mode)

    assert all(z.startswith("Vancouver – ") for z in ask(api))
    assert lookups(api, "fallback", "ok") == 3
    assert metric(api, "bookiji_map_provider_up", provider="primary") == 0


def test_the_health_check_sees_an_outage_and_a_recovery_without_any_quote(
    api: TestClient, wired: Services, map_server: SimCityMapServer
) -> None:
    map_server.switch(MapServerMode.DOWN)
    assert maps_worker.tick(wired.maps) is False
    assert metric(api, "bookiji_map_provider_up", provider="primary") == 0

    map_server.switch(MapServerMode.HEALTHY)
    assert maps_worker.tick(wired.maps) is True
    assert metric(api, "bookiji_map_provider_up", provider="primary") == 1
    assert lookups(api, "primary", "ok") == lookups(api, "fallback", "ok") == 0


def test_after_a_recovery_the_health_check_puts_the_primary_back_at_once(
    api: TestClient, wired: Services, map_server: SimCityMapServer
) -> None:
    map_server.switch(MapServerMode.DOWN)
    assert all(z.startswith("Vancouver – ") for z in ask(api, minutes=60))
    map_server.switch(MapServerMode.HEALTHY)
    assert all(z.startswith("Vancouver – ") for z in ask(api, minutes=45))  # resting for 30 s

    maps_worker.tick(wired.maps)

    assert all(z.startswith("SimCity ") for z in ask(api, minutes=30))
    assert metric(api, "bookiji_map_provider_up", provider="primary") == 1


def _bkctl(wired: Services, capsys: pytest.CaptureFixture[str], *argv: str) -> None:
    assert main(list(argv), services=wired) == 0, capsys.readouterr().err


def test_the_force_fallback_flag_stops_lookups_on_the_primary_until_it_is_off(
    api: TestClient,
    wired: Services,
    map_server: SimCityMapServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    healthy = ask(api, minutes=60)
    calls = map_server.calls

    _bkctl(wired, capsys, "flags", "set", "maps.force_fallback", "on", "--reason", "slow maps")
    forced = ask(api, minutes=45)
    assert all(z.startswith("Vancouver – ") for z in forced)
    assert map_server.calls == calls
    assert lookups(api, "fallback", "ok") == 3

    _bkctl(wired, capsys, "flags", "set", "maps.force_fallback", "off", "--reason", "fixed")
    assert ask(api, minutes=30) == healthy  # from the cache: the primary's zones again
