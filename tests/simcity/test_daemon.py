"""The SimCity daemon over HTTP: admin-only, validated config, bounded and stoppable traffic of
tagged synthetic records through the real use cases, refused in production, purgeable."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from bookiji_adapters.memory import InMemoryTelemetry, ManualClock, SequentialIds
from bookiji_adapters.simcity.payments import SimCityPaymentGateway
from bookiji_core.booking import Booking
from bookiji_entry.app import create_app
from bookiji_entry.bootstrap import bootstrap, loops
from bookiji_entry.cli import main as bkctl
from bookiji_entry.seed import fixed_token, seed_demo
from bookiji_entry.settings import MEMORY_URL, Profile, Settings

from .conftest import START, SimCityHttp

PATHS = [
    ("POST", "/api/simcity/power/on"),
    ("POST", "/api/simcity/power/off"),
    ("GET", "/api/simcity/status"),
    ("POST", "/api/simcity/config"),
    ("POST", "/api/simcity/population"),
]


def wait_until(check: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def all_bookings(sim: SimCityHttp) -> list[Booking]:
    with sim.services.uow() as uow:
        return uow.bookings.list_for(limit=100_000)


@pytest.mark.parametrize(("method", "path"), PATHS)
def test_every_simcity_endpoint_is_admin_only(
    simcity_http: SimCityHttp, method: str, path: str
) -> None:
    anonymous = simcity_http.client.request(method, path, json={})
    customer = simcity_http.client.request(
        method, path, json={}, headers={"Authorization": f"Bearer {fixed_token('cus_01')}"}
    )

    assert anonymous.status_code == 401
    assert customer.status_code == 403
    assert customer.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sessions_per_second": -1}, "sessions_per_second"),
        ({"sessions_per_second": 1e9}, "sessions_per_second"),
        ({"gateway_502": 1.5}, "gateway_502"),
        ({"customers": 2.5}, "customers"),
        ({"vendors": "80"}, "vendors"),
        ({"cancel_probability": True}, "cancel_probability"),
        ({"warp_speed": 9}, "warp_speed"),
        ({"slow_vendors": 0.7, "never_vendors": 0.6}, "slow_vendors"),
    ],
)
def test_a_bad_config_is_a_422_problem_naming_the_field_and_changes_nothing(
    simcity_http: SimCityHttp, body: dict[str, object], field: str
) -> None:
    before = simcity_http.client.get("/api/simcity/status", headers=simcity_http.admin).json()
    refused = simcity_http.client.post("/api/simcity/config", headers=simcity_http.admin, json=body)
    after = simcity_http.client.get("/api/simcity/status", headers=simcity_http.admin).json()

    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert (refused.json()["code"], refused.json()["field"]) == ("invalid_input", field)
    assert after["config"] == before["config"]


def test_powered_on_the_population_books_through_the_use_cases_until_powered_off(
    simcity_http: SimCityHttp,
) -> None:
    sim, admin = simcity_http, simcity_http.admin
    configured = sim.client.post(
        "/api/simcity/config",
        headers=admin,
        json={"sessions_per_second": 40, "customers": 30, "vendors": 12, "gateway_502": 0.2},
    )
    assert configured.status_code == 200, configured.text

    on = sim.client.post("/api/simcity/power/on", headers=admin).json()
    assert on["running"] is True
    assert sim.provider.rates.gateway_502 == 0.2  # the provider takes the fault probabilities
    wait_until(lambda: sim.daemon_status()["counts"].get("booked", 0) >= 5)
    off = sim.client.post("/api/simcity/power/off", headers=admin).json()
    booked = off["counts"]["booked"]
    time.sleep(0.3)

    status = sim.daemon_status()
    assert status["running"] is False
    assert status["counts"]["booked"] == booked  # stopped means stopped
    assert status["population"] == {
        "customers": 30,
        "vendors": 12,
        "vendor_tempers": status["population"]["vendor_tempers"],
    }
    assert sim.provider.rates.gateway_502 == 0.0
    made = all_bookings(sim)
    assert len(made) == booked and all(b.synthetic for b in made)
    sim.settle()
    sim.clock.advance(sim.services.settings.confirm_within * 2)
    sim.settle()
    assert [v for v in sim.violations(rest=False) if "DLQ" not in v] == []


def test_purge_removes_every_synthetic_record_and_keeps_the_real_ones(
    simcity_http: SimCityHttp, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = simcity_http
    token = sim.customers(1)[0]
    quoted = sim.call("POST", "/api/quote", token, json=sim.quote_body()).json()
    sim.call(
        "POST",
        "/api/bookings/confirm",
        token,
        headers={"Idempotency-Key": "purge-1"},
        json={
            "quote_id": quoted["quote_id"],
            "provider_id": quoted["candidates"][0]["provider_id"],
            "payment_method": "pm_card_visa",
        },
    )
    assert bkctl(["simcity", "purge"], services=sim.services) == 5  # the hold is in flight
    sim.settle()

    assert bkctl(["simcity", "purge", "--json"], services=sim.services) == 0
    assert '"bookings": 1' in capsys.readouterr().out
    assert all_bookings(sim) == []
    with sim.services.uow() as uow:
        assert uow.customers.get("cus_sim_0001") is None  # type: ignore[arg-type]
        assert uow.vendors.get("ven_sim_0001") is None  # type: ignore[arg-type]
        assert uow.customers.get("cus_01") is not None  # type: ignore[arg-type]
    assert sim.call("GET", "/api/bookings", token).status_code == 401  # its token is gone


@pytest.mark.parametrize(("allowed", "status"), [(False, 403), (True, 200)])
def test_the_production_profile_refuses_to_power_on_unless_allowed(
    allowed: bool, status: int
) -> None:
    config = Settings(
        profile=Profile.PRODUCTION, database_url=MEMORY_URL, simcity_allow_in_production=allowed
    )
    clock = ManualClock(START)
    provider = SimCityPaymentGateway(clock=clock, rng=random.Random(1))
    services = bootstrap(
        config, clock=clock, ids=SequentialIds(), telemetry=InMemoryTelemetry(), gateway=provider
    )
    seed_demo(services.uow(), START, fixed_tokens=True)
    admin = {"Authorization": f"Bearer {fixed_token('adm_ops')}"}
    with TestClient(create_app(services)) as client:
        answer = client.post("/api/simcity/power/on", headers=admin)
        client.post("/api/simcity/power/off", headers=admin)

    assert answer.status_code == status, answer.text
    if not allowed:
        assert "BOOKIJI_SIMCITY_ALLOW_IN_PRODUCTION" in answer.json()["detail"]


def test_the_daemons_vendors_confirm_once_the_servers_notifications_told_them(
    simcity_http: SimCityHttp,
) -> None:
    sim, admin = simcity_http, simcity_http.admin
    config = {"sessions_per_second": 20, "customers": 20, "vendors": 8, "slow_vendors": 0}
    config |= {"never_vendors": 0, "cancel_probability": 0, "declined_card_probability": 0}
    assert sim.client.post("/api/simcity/config", headers=admin, json=config).status_code == 200
    sim.client.post("/api/simcity/power/on", headers=admin)
    try:
        wait_until(lambda: sim.daemon_status()["counts"].get("booked", 0) >= 3)
        assert sim.daemon_status()["counts"].get("vendor_confirmed", 0) == 0  # nobody told yet
        (deliver,) = [loop for loop in loops(sim.services) if loop.name == "notifications"]
        deliver.tick()  # the server's notification worker: the vendors hear of their bookings
        told = sim.daemon_status()["counts"].get("vendor_told", 0)
        assert told >= 3
        sim.clock.advance(timedelta(seconds=31))  # fast vendors answer within 30 s of being told
        wait_until(lambda: sim.daemon_status()["counts"].get("vendor_confirmed", 0) >= 1)
    finally:
        sim.client.post("/api/simcity/power/off", headers=admin)
