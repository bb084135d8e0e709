"""The running app's /metrics exports exactly the contract of docs/metrics.md: every catalogued
metric, with its type and labels, and no other `bookiji_*` metric."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from bookiji_adapters.simcity import SimCityPaymentGateway
from bookiji_adapters.stripe import signature_header
from bookiji_entry.bootstrap import Services, inject
from bookiji_entry.payments import webhook_secret
from bookiji_entry.workers.outbox import relay_for
from tests.ops.test_rules_name_known_metrics import metric_catalogue

from .conftest import CUSTOMER, bearer, confirm, quote


def exercise(client: TestClient, services: Services) -> None:
    """Quote, confirm, read the booking back, carry the hold, deliver its webhook twice."""
    confirmed = confirm(client, quote(client), "k-contract")
    assert confirmed.status_code == 201, confirmed.text
    booking_id = confirmed.json()["booking_id"]
    assert client.get(f"/api/bookings/{booking_id}", headers=bearer(CUSTOMER)).status_code == 200
    inject(relay_for, services, owner="contract").drain()
    gateway = services.gateway
    assert isinstance(gateway, SimCityPaymentGateway)
    event = gateway.pending.pop(0)
    for _ in range(2):  # the second delivery is an idempotent skip
        now = int(services.clock.now().timestamp())
        client.post(
            "/api/webhooks/stripe",
            content=event.payload,
            headers={
                "Stripe-Signature": signature_header(
                    event.payload, webhook_secret(services.settings), now
                ),
                "Content-Type": "application/json",
            },
        )


def exported(client: TestClient) -> dict[str, Any]:
    """Catalogue-style name -> family, for every family of the scrape."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families: dict[str, Any] = {}
    for family in text_string_to_metric_families(response.text):
        if family.name.endswith("_created") and family.type == "gauge":
            continue  # creation times prometheus-client adds next to counters and histograms
        families[family.name + ("_total" if family.type == "counter" else "")] = family
    return families


def sample(families: dict[str, Any], name: str, **labels: str) -> float:
    series = families[name.removesuffix("_bucket").removesuffix("_count")].samples
    return sum(s.value for s in series if s.name == name and labels.items() <= s.labels.items())


def test_every_catalogued_metric_is_exported_with_its_type_and_labels_and_nothing_else(
    client: TestClient, services: Services
) -> None:
    exercise(client, services)
    families, catalogue = exported(client), metric_catalogue()

    assert {n for n in families if n.startswith("bookiji_")} == set(catalogue)
    for name, (kind, labels) in catalogue.items():
        assert families[name].type == kind, name
        for s in families[name].samples:
            assert set(s.labels) - {"le"} == labels, (name, s)


def test_the_exercised_paths_show_up_in_their_metrics(
    client: TestClient, services: Services
) -> None:
    exercise(client, services)
    f = exported(client)

    for route in ("/api/quote", "/api/bookings/confirm", "/api/webhooks/stripe"):
        assert sample(f, "bookiji_http_requests_total", route=route, method="POST") >= 1, route
        assert sample(f, "bookiji_http_request_duration_seconds_count", route=route) >= 1, route
    assert sample(f, "bookiji_http_requests_total", route="/api/bookings/{booking_id}") == 1
    assert sample(f, "bookiji_stripe_webhook_events_total", outcome="success") == 1
    assert sample(f, "bookiji_stripe_webhook_events_total", outcome="idempotent_skip") == 1
    assert sample(f, "bookiji_outbox_deliveries_total", action="place_hold", outcome="committed")
    assert sample(f, "bookiji_access_log_writes_total") >= 2  # the confirm and the read back
    assert sample(f, "bookiji_access_log_write_failures_total") == 0
    assert sample(f, "bookiji_outbox_messages", state="committed") >= 1
    assert sample(f, "bookiji_outbox_dlq_depth") == 0
    assert sample(f, "bookiji_double_charged_bookings") == 0
