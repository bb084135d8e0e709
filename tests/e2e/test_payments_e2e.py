"""Payments through the wired app: the relay loop, SimCity's signed webhooks over
POST /api/webhooks/stripe, and the operator's bkctl outbox / dlq / ledger commands."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from bookiji_adapters.memory import ManualClock
from bookiji_adapters.simcity import Fault, SimCityPaymentGateway
from bookiji_adapters.stripe import signature_header
from bookiji_core.payments import OutboxState
from bookiji_entry.bootstrap import Services, inject
from bookiji_entry.payments import webhook_secret
from bookiji_entry.workers.outbox import relay_for

from .conftest import CUSTOMER, bearer, confirm, quote, vendor
from .test_bkctl_commands import run


def gateway(services: Services) -> SimCityPaymentGateway:
    assert isinstance(services.gateway, SimCityPaymentGateway)
    return services.gateway


def booked(client: TestClient, key: str = "k-pay") -> dict[str, Any]:
    response = confirm(client, quote(client), key)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def post_event(
    client: TestClient, services: Services, payload: bytes, secret: str | None = None
) -> Any:
    now = int(services.clock.now().timestamp())
    header = signature_header(payload, secret or webhook_secret(services.settings), now)
    return client.post(
        "/api/webhooks/stripe",
        content=payload,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )


def test_a_booking_is_held_captured_and_receipted_through_relay_and_webhooks(
    client: TestClient, services: Services
) -> None:
    booking = booked(client)
    inject(relay_for, services, owner="e2e").drain()
    sim = gateway(services)
    hold_event = sim.pending.pop(0)
    assert post_event(client, services, hold_event.payload).json()["outcome"] == "success"

    response = client.post(
        f"/api/bookings/{booking['booking_id']}/provider-confirm",
        headers=vendor(booking["provider_id"]),
    )
    assert response.status_code == 200, response.text
    inject(relay_for, services, owner="e2e").drain()
    for _ in range(3):  # FLAKY_WEBHOOK: the capture's event, delivered three times
        outcome = post_event(client, services, sim.pending[0].payload).json()["outcome"]
    assert outcome == "idempotent_skip"

    shown = client.get(f"/api/bookings/{booking['booking_id']}", headers=bearer(CUSTOMER)).json()
    assert shown["state"] == "receipt_issued"
    assert [e.operation for e in sim.effects] == ["place_hold", "capture"]


def test_a_badly_signed_webhook_is_refused_with_400_and_changes_nothing(
    client: TestClient, services: Services
) -> None:
    booked(client)
    inject(relay_for, services, owner="e2e").drain()
    event = gateway(services).pending[0]

    response = post_event(client, services, event.payload, secret="whsec_forged")
    assert response.status_code == 400
    assert response.json()["code"] == "webhook_signature_invalid"
    no_header = client.post("/api/webhooks/stripe", content=event.payload)
    assert no_header.status_code == 400
    with services.uow() as uow:
        assert uow.webhook_inbox.get(event.event_id) is None


def test_a_webhook_that_cannot_read_the_provider_answers_503_for_stripe_to_retry(
    client: TestClient, services: Services
) -> None:
    booked(client)
    inject(relay_for, services, owner="e2e").drain()
    sim = gateway(services)
    sim.inject(Fault.GATEWAY_502, operation="retrieve")

    response = post_event(client, services, sim.pending[0].payload)
    assert response.status_code == 503
    assert post_event(client, services, sim.pending[0].payload).json()["outcome"] == "success"


def test_bkctl_pauses_resumes_and_reports_the_outbox(
    client: TestClient, services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    booked(client)
    status, out, _ = run(capsys, services, "outbox", "pause", "--json")
    assert status == 0 and json.loads(out)["paused"] is True
    assert inject(relay_for, services, owner="e2e").run_once().paused

    status, out, _ = run(capsys, services, "outbox", "resume", "--json")
    assert json.loads(out)["counts"]["queued"] == 1
    inject(relay_for, services, owner="e2e").drain()
    status, out, _ = run(capsys, services, "outbox", "status")
    assert status == 0 and "running" in out and "committed 1" in out


def test_bkctl_lists_and_drains_the_dlq(
    client: TestClient,
    services: Services,
    clock: ManualClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    booked(client)
    sim = gateway(services)
    sim.rates.gateway_502 = 1.0
    relay = inject(relay_for, services, owner="e2e")
    for _ in range(10):  # every attempt fails; the clock moves to each retry
        relay.drain()
        with services.uow() as uow:
            queued = uow.outbox.list_by_state(OutboxState.QUEUED)
        if not queued:
            break
        clock.set(queued[0].next_attempt_at)
    status, out, _ = run(capsys, services, "dlq", "list", "--json")
    (dead,) = json.loads(out)["messages"]
    assert dead["action"] == "place_hold" and "502" in dead["last_error"]

    sim.rates.gateway_502 = 0.0
    status, out, err = run(capsys, services, "dlq", "drain", "--spacing", "0")
    assert status == 0 and "requeued 1 message(s)" in out
    assert "\r" not in err  # progress frames only on a terminal (tests/e2e/test_cli_conventions)
    relay.drain()
    status, out, _ = run(capsys, services, "outbox", "status", "--json")
    assert json.loads(out)["dlq_depth"] == 0


def test_bkctl_ledger_reconcile_counts_and_fixes_a_double_charge(
    client: TestClient, services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    booking = booked(client)
    inject(relay_for, services, owner="e2e").drain()
    client.post(
        f"/api/bookings/{booking['booking_id']}/provider-confirm",
        headers=vendor(booking["provider_id"]),
    )
    inject(relay_for, services, owner="e2e").drain()
    status, out, _ = run(capsys, services, "ledger", "reconcile", "--json")
    assert status == 0 and json.loads(out)["double_charges"] == 0

    sim = gateway(services)
    fee = sim.all_intents()[0].amount
    stray = sim.place_hold(fee, "pm_card_visa", booking["booking_id"], "stray")
    sim.capture(stray.id, "stray-capture")
    status, out, _ = run(capsys, services, "ledger", "reconcile")
    assert status == 3 and "1 double charge(s)" in out

    status, out, _ = run(capsys, services, "ledger", "reconcile", "--fix", "--json")
    assert status == 0 and json.loads(out)["refunds_queued"] == [stray.id]
    inject(relay_for, services, owner="e2e").drain()
    assert sim.retrieve(stray.id).net_captured == 0
    status, out, _ = run(capsys, services, "ledger", "reconcile", "--json")
    assert (status, json.loads(out)["double_charges"]) == (0, 0)


def test_a_webhook_for_a_booking_locked_too_long_answers_503_and_is_applied_on_retry(
    client: TestClient, services: Services
) -> None:
    if not services.settings.is_postgresql:
        pytest.skip("row locks with a lock timeout: PostgreSQL")
    booking = booked(client)
    inject(relay_for, services, owner="e2e").drain()
    event = gateway(services).pending[0]
    engine = create_engine(services.settings.database_url)
    with engine.connect() as other:
        other.execute(
            text("SELECT id FROM bookings WHERE id = :id FOR UPDATE"),
            {"id": booking["booking_id"]},
        )
        busy = post_event(client, services, event.payload)  # waits out the lock timeout
        other.rollback()
    engine.dispose()

    assert busy.status_code == 503 and busy.headers["Retry-After"] == "5"
    assert busy.json()["code"] == "lock_timeout"
    with services.uow() as uow:
        assert uow.webhook_inbox.get(event.event_id) is None
    assert post_event(client, services, event.payload).json()["outcome"] == "success"
