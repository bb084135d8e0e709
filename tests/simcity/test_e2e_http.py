"""End-to-end flows over HTTP, through the Starlette app of the simcity profile: synthetic
customers from SimCity's population, SimCity's provider behind the service's own relay, its
webhooks delivered over HTTP to /api/webhooks/stripe, invariants checked at the end."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bookiji_core.privacy import DELETE_PURPOSE, EXPORT_PURPOSE
from bookiji_entry.bootstrap import inject
from bookiji_entry.cli import main as bkctl
from bookiji_entry.workers.auto_cancel import tick as auto_cancel_tick
from bookiji_entry.workers.shredder import tick as shredder_tick
from bookiji_simcity.load import percentile
from bookiji_simcity.population import customer_id

from .conftest import SimCityHttp, seeds

SLO_P95_SECONDS = 0.5
PRIVACY_SLO_SECONDS = 60.0


def book(sim: SimCityHttp, token: str, key: str, hours_ahead: int = 26) -> dict[str, Any]:
    quoted = sim.call("POST", "/api/quote", token, json=sim.quote_body(hours_ahead))
    assert quoted.status_code == 201, quoted.text
    quote = quoted.json()
    confirmed = sim.call(
        "POST",
        "/api/bookings/confirm",
        token,
        headers={"Idempotency-Key": key},
        json={
            "quote_id": quote["quote_id"],
            "provider_id": quote["candidates"][0]["provider_id"],
            "payment_method": "pm_card_visa",
        },
    )
    assert confirmed.status_code == 201, confirmed.text
    booking: dict[str, Any] = confirmed.json()
    return booking


def audit(sim: SimCityHttp, token: str, booking_id: str) -> list[str]:
    shown = sim.call("GET", f"/api/bookings/{booking_id}", token)
    assert shown.status_code == 200, shown.text
    return [e["action"] for e in shown.json()["audit"]]


@pytest.mark.simcity
@pytest.mark.parametrize("seed", seeds("E2E_HAPPY"))
def test_quote_hold_vendor_confirm_receipt_over_http_with_full_audit_and_the_latency_slo(
    simcity_http: SimCityHttp, seed: int
) -> None:
    sim = simcity_http
    token = sim.customers(seed)[-1]
    booking = book(sim, token, f"happy-{seed}", hours_ahead=24 + seed)
    sim.settle()
    vendor = sim.vendor_token(booking["provider_id"])

    confirmed = sim.call("POST", f"/api/bookings/{booking['booking_id']}/provider-confirm", vendor)
    assert confirmed.status_code == 200, confirmed.text
    sim.settle()

    shown = sim.call("GET", f"/api/bookings/{booking['booking_id']}", token).json()
    assert (shown["state"], shown["payment_status"]) == ("receipt_issued", "captured")
    assert [e["action"] for e in shown["audit"]] == ["confirm", "provider_confirm", "issue_receipt"]
    assert sim.webhooks and set(sim.webhooks) == {200}
    assert sim.violations() == []
    for endpoint in ("quote", "bookings"):
        assert percentile(sim.timings[endpoint], 0.95) < SLO_P95_SECONDS, sim.timings[endpoint]


@pytest.mark.simcity
@pytest.mark.parametrize("seed", seeds("E2E_CANCEL"))
def test_a_cancel_before_the_vendor_confirms_releases_the_hold_over_http(
    simcity_http: SimCityHttp, seed: int
) -> None:
    sim = simcity_http
    token = sim.customers(seed)[-1]
    booking = book(sim, token, f"cancel-{seed}", hours_ahead=30 + seed)
    sim.settle()

    cancelled = sim.call(
        "POST", f"/api/bookings/{booking['booking_id']}/cancel", token, json={"reason": "plans"}
    )
    assert cancelled.status_code == 200, cancelled.text
    sim.settle()

    shown = sim.call("GET", f"/api/bookings/{booking['booking_id']}", token).json()
    assert (shown["state"], shown["payment_status"]) == ("cancelled", "released")
    assert [e["action"] for e in shown["audit"]] == ["confirm", "cancel"]
    assert [i.status for i in sim.provider.all_intents()] == ["canceled"]
    assert sim.violations() == []


@pytest.mark.simcity
def test_bkctl_rollback_of_a_silent_vendors_booking_releases_it_before_t(
    simcity_http: SimCityHttp, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = simcity_http
    token = sim.customers(1)[0]
    booking = book(sim, token, "rollback-1")
    sim.settle()

    status = bkctl(
        ["rollback", "--booking", booking["booking_id"], "--wait", "0", "--as", "drill"],
        services=sim.services,
    )
    assert status == 0, capsys.readouterr()
    sim.settle()
    sim.clock.advance(sim.services.settings.confirm_within)
    assert inject(auto_cancel_tick, sim.services) == 0  # nothing left for auto-cancel to do

    shown = sim.call("GET", f"/api/bookings/{booking['booking_id']}", token).json()
    assert (shown["state"], shown["payment_status"]) == ("cancelled", "released")
    assert [(e["action"], e["actor_type"]) for e in shown["audit"]] == [
        ("confirm", "customer"),
        ("rollback", "admin"),
    ]
    assert sim.violations() == []


@pytest.mark.simcity
def test_a_synthetic_customers_export_and_deletion_take_under_60_s_and_are_access_logged(
    simcity_http: SimCityHttp,
) -> None:
    sim = simcity_http
    token = sim.customers(1)[0]
    subject = customer_id(1)
    booking = book(sim, token, "privacy-1")
    sim.settle()

    began = time.perf_counter()
    exported = sim.call("GET", f"/api/privacy/subjects/{subject}/export", token)
    export_seconds = time.perf_counter() - began
    assert exported.status_code == 200, exported.text
    assert booking["booking_id"] in exported.text

    began = time.perf_counter()
    deleted = sim.call("POST", f"/api/privacy/subjects/{subject}/delete", token, json={})
    assert deleted.status_code == 202, deleted.text
    sim.settle()
    inject(shredder_tick, sim.services)
    delete_seconds = time.perf_counter() - began

    status = sim.call("GET", f"/api/privacy/subjects/{subject}", headers=sim.admin).json()
    assert status["deletion"]["shredded_at"] is not None, status
    assert export_seconds < PRIVACY_SLO_SECONDS and delete_seconds < PRIVACY_SLO_SECONDS
    with sim.services.uow() as uow:
        purposes = {e.purpose for e in uow.access_log.for_subject(subject)}
    assert {EXPORT_PURPOSE, DELETE_PURPOSE} <= purposes, purposes
    assert sim.call("GET", "/api/bookings", token).status_code == 401  # logins revoked
