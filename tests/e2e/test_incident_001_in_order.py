"""Runbook Incident-001, its commands in the order written, against the wired service: a
provider outage dead-letters a hold and a request no retry fixes dead-letters another; pause,
resume, drain, resolve the one that needs a person, verify. The DLQ ends empty (the page
resolves) and the ledger reconciles."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from bookiji_adapters.memory import ManualClock
from bookiji_adapters.simcity import SimCityPaymentGateway
from bookiji_core.payments import OutboxState
from bookiji_entry.bootstrap import Services, inject
from bookiji_entry.seed import fixed_token
from bookiji_entry.workers.outbox import relay_for

from .conftest import CUSTOMER, bearer, quote
from .test_bkctl_commands import run


def book(client: TestClient, card: str, key: str, at: str) -> dict[str, Any]:
    offer = quote(client, date_time=at)
    response = client.post(
        "/api/bookings/confirm",
        headers={**bearer(CUSTOMER), "Idempotency-Key": key},
        json={
            "quote_id": offer["quote_id"],
            "provider_id": offer["candidates"][0]["provider_id"],
            "payment_method": card,
        },
    )
    assert response.status_code == 201, response.text
    booked: dict[str, Any] = response.json()
    return booked


def relay_until_quiet(services: Services, clock: ManualClock) -> None:
    """What the running relay does meanwhile: deliver, retrying with backoff as time passes."""
    relay = inject(relay_for, services, owner="e2e")
    for _ in range(12):
        relay.drain()
        with services.uow() as uow:
            queued = uow.outbox.list_by_state(OutboxState.QUEUED)
        if not queued:
            return
        clock.set(max(clock.now(), queued[0].next_attempt_at))


def status(capsys: pytest.CaptureFixture[str], services: Services) -> dict[str, Any]:
    code, out, _ = run(capsys, services, "outbox", "status", "--json")
    assert code == 0
    found: dict[str, Any] = json.loads(out)
    return found


def test_incident_001_in_the_order_written_ends_with_an_empty_dlq(
    client: TestClient,
    services: Services,
    clock: ManualClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    provider = services.gateway
    assert isinstance(provider, SimCityPaymentGateway)
    # A hold someone cancelled by hand in the provider's dashboard, then the vendor confirms:
    # the capture is refused for good, and no retry will change that.
    first = book(client, "pm_card_visa", "k-person", "2030-01-08T18:00:00Z")
    relay_until_quiet(services, clock)
    with services.uow() as uow:
        held = uow.bookings.get(first["booking_id"])
    assert held is not None and held.payment_intent_id is not None
    provider.cancel(held.payment_intent_id, "dashboard-cancel")
    headers = bearer(fixed_token(first["provider_id"]))
    client.post(f"/api/bookings/{first['booking_id']}/provider-confirm", headers=headers)
    relay_until_quiet(services, clock)
    provider.rates.gateway_502 = 1.0  # then the outage
    book(client, "pm_card_visa", "k-outage", "2030-01-08T19:00:00Z")
    relay_until_quiet(services, clock)
    assert status(capsys, services)["dlq_depth"] == 2  # the page

    # First 5 minutes: size it, read the errors, pause.
    code, out, _ = run(capsys, services, "dlq", "list")
    assert code == 0 and "502" in out and "cannot capture" in out
    assert run(capsys, services, "outbox", "pause")[0] == 0
    assert status(capsys, services)["paused"] is True

    # Mitigation, once the cause is fixed: resume first, then drain.
    provider.rates.gateway_502 = 0.0
    assert run(capsys, services, "outbox", "resume")[0] == 0
    assert status(capsys, services)["paused"] is False
    code, out, _ = run(capsys, services, "dlq", "drain", "--spacing", "0")
    assert code == 0 and "requeued 2 message(s)" in out
    relay_until_quiet(services, clock)
    code, out, _ = run(capsys, services, "dlq", "list", "--json")
    (left,) = json.loads(out)["messages"]  # the outage's hold went through; this one did not
    assert "cannot capture" in left["last_error"]

    # A person decides, then closes it.
    reason = "hold cancelled by hand at the provider; no fee taken, ticket PAY-1"
    code, out, _ = run(
        capsys, services, "dlq", "resolve", left["id"], "--reason", reason, "--as", "oncall"
    )
    assert code == 0

    # Verification, with the relay running.
    after = status(capsys, services)
    assert after["dlq_depth"] == 0 and after["counts"].get("queued", 0) == 0
    code, _, _ = run(capsys, services, "ledger", "reconcile")
    assert code == 0
