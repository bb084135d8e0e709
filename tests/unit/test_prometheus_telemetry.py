"""PrometheusTelemetry exports the docs/metrics.md contract, and reads the database gauges live."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from bookiji_adapters.memory import InMemoryStorage, InMemoryTelemetry
from bookiji_adapters.telemetry import NullTelemetry, PrometheusTelemetry
from bookiji_adapters.telemetry.prometheus import REQUEST_BUCKETS
from bookiji_core.payments import OutboxMessage, OutboxState, PaymentAction, PaymentCommand
from bookiji_core.ports import Telemetry
from bookiji_core.usecases.reconcile import DOUBLE_CHARGES
from bookiji_core.values import BookingId, Money
from tests.ops.test_rules_name_known_metrics import metric_catalogue

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)


def scrape(telemetry: PrometheusTelemetry) -> dict[str, Any]:
    """Family name (as the catalogue spells it) -> family, `_created` companions left out."""
    body, content_type = telemetry.exposition()
    assert content_type.startswith("text/plain")
    families = {}
    for family in text_string_to_metric_families(body.decode()):
        if family.name.endswith("_created") and family.type == "gauge":
            continue  # the creation time prometheus-client exports next to counters/histograms
        name = family.name + "_total" if family.type == "counter" else family.name
        families[name] = family
    return families


def value(samples: list[Sample], name: str, **labels: str) -> float:
    found = [s.value for s in samples if s.name == name and s.labels == labels]
    assert len(found) == 1, (name, labels, samples)
    return found[0]


def message(message_id: str, state: OutboxState) -> OutboxMessage:
    command = PaymentCommand(BookingId("bk_1"), PaymentAction.PLACE_HOLD, Money.of(100, "CAD"), 1)
    queued = OutboxMessage.queue(message_id, command, NOW)
    if state is OutboxState.DLQ:
        return queued.fail("card_declined", NOW, retryable=False)
    if state is OutboxState.COMMITTED:
        return queued.commit(NOW)
    return queued


@pytest.fixture
def storage() -> InMemoryStorage:
    return InMemoryStorage()


@pytest.fixture
def telemetry(storage: InMemoryStorage) -> PrometheusTelemetry:
    return PrometheusTelemetry(storage.unit_of_work)


def test_it_exports_exactly_the_catalogued_metrics_with_their_types_and_labels(
    telemetry: PrometheusTelemetry,
) -> None:
    telemetry.http_request("/api/quote", "POST", 201, 0.02)
    telemetry.map_provider_health("primary", True)
    families = scrape(telemetry)
    catalogue = metric_catalogue()

    assert set(families) == set(catalogue)
    for name, (kind, labels) in catalogue.items():
        family = families[name]
        assert family.type == kind, name
        for sample in family.samples:
            assert set(sample.labels) - {"le"} == labels, (name, sample)


def test_request_durations_have_buckets_at_the_slo_thresholds(
    telemetry: PrometheusTelemetry,
) -> None:
    telemetry.http_request("/api/bookings/confirm", "POST", 201, 0.6)
    samples = scrape(telemetry)["bookiji_http_request_duration_seconds"].samples
    edges = sorted(float(s.labels["le"]) for s in samples if s.name.endswith("_bucket"))

    assert edges == [*REQUEST_BUCKETS, float("inf")]
    assert {0.5, 1.0} <= set(edges)
    labels = {"route": "/api/bookings/confirm", "method": "POST", "code": "201"}
    assert value(samples, "bookiji_http_request_duration_seconds_bucket", le="0.5", **labels) == 0
    assert value(samples, "bookiji_http_request_duration_seconds_bucket", le="0.75", **labels) == 1


def test_known_label_values_are_exported_at_zero_before_any_event(
    telemetry: PrometheusTelemetry,
) -> None:
    families = scrape(telemetry)
    webhooks = families["bookiji_stripe_webhook_events_total"].samples
    deliveries = families["bookiji_outbox_deliveries_total"].samples
    maps = families["bookiji_map_requests_total"].samples

    for outcome in ("success", "failure", "idempotent_skip"):
        assert value(webhooks, "bookiji_stripe_webhook_events_total", outcome=outcome) == 0
    assert len(deliveries) == 4 * 3
    assert {(s.labels["provider"], s.labels["outcome"]) for s in maps} == {
        ("primary", "ok"),
        ("primary", "error"),
        ("fallback", "ok"),
        ("fallback", "error"),
    }
    assert families["bookiji_map_provider_up"].samples == []  # unknown until a check runs


def test_each_sli_event_lands_in_its_metric(telemetry: PrometheusTelemetry) -> None:
    telemetry.webhook_outcome("idempotent_skip")
    telemetry.outbox_delivery(PaymentAction.CAPTURE, "retry")
    telemetry.access_log_write(True)
    telemetry.access_log_write(False)
    telemetry.map_request("fallback", True)
    telemetry.map_provider_health("primary", False)
    telemetry.privacy_request("export", 3.0)
    telemetry.rollback(12.0)
    telemetry.double_charges(2)
    telemetry.double_charges(0)
    f = scrape(telemetry)

    def one(name: str, **labels: str) -> float:
        return value(f[name].samples, name, **labels)

    assert one("bookiji_stripe_webhook_events_total", outcome="idempotent_skip") == 1
    assert one("bookiji_outbox_deliveries_total", action="capture", outcome="retry") == 1
    assert one("bookiji_access_log_writes_total") == 2
    assert one("bookiji_access_log_write_failures_total") == 1
    assert one("bookiji_map_requests_total", provider="fallback", outcome="ok") == 1
    assert one("bookiji_map_provider_up", provider="primary") == 0
    assert one("bookiji_double_charges_total") == 2
    privacy = f["bookiji_privacy_request_duration_seconds"].samples
    assert value(privacy, "bookiji_privacy_request_duration_seconds_count", kind="export") == 1
    assert value(privacy, "bookiji_privacy_request_duration_seconds_count", kind="delete") == 0
    rollbacks = f["bookiji_rollback_duration_seconds"].samples
    assert value(rollbacks, "bookiji_rollback_duration_seconds_bucket", le="10.0") == 0
    assert value(rollbacks, "bookiji_rollback_duration_seconds_bucket", le="30.0") == 1


def test_outbox_and_double_charge_gauges_are_read_from_storage_at_each_scrape(
    storage: InMemoryStorage, telemetry: PrometheusTelemetry
) -> None:
    before = scrape(telemetry)
    with storage.unit_of_work() as uow:
        uow.outbox.add(message("msg_1", OutboxState.QUEUED))
        uow.outbox.add(message("msg_2", OutboxState.DLQ))
        uow.outbox.add(message("msg_3", OutboxState.DLQ))
        uow.controls.set(DOUBLE_CHARGES, "1", NOW)
        uow.commit()
    after = scrape(telemetry)

    assert value(before["bookiji_outbox_dlq_depth"].samples, "bookiji_outbox_dlq_depth") == 0
    assert value(after["bookiji_outbox_dlq_depth"].samples, "bookiji_outbox_dlq_depth") == 2
    states = after["bookiji_outbox_messages"].samples
    assert value(states, "bookiji_outbox_messages", state="queued") == 1
    assert value(states, "bookiji_outbox_messages", state="in_flight") == 0
    assert value(states, "bookiji_outbox_messages", state="committed") == 0
    doubles = after["bookiji_double_charged_bookings"].samples
    assert value(doubles, "bookiji_double_charged_bookings") == 1


def test_a_refunded_double_charge_takes_the_gauge_back_to_zero(
    storage: InMemoryStorage, telemetry: PrometheusTelemetry
) -> None:
    for count in ("1", "0"):
        with storage.unit_of_work() as uow:
            uow.controls.set(DOUBLE_CHARGES, count, NOW)
            uow.commit()
    doubles = scrape(telemetry)["bookiji_double_charged_bookings"].samples

    assert value(doubles, "bookiji_double_charged_bookings") == 0


def test_a_scrape_without_a_database_still_serves_the_request_metrics() -> None:
    def broken() -> Any:
        raise ConnectionError("database restarting")

    telemetry = PrometheusTelemetry(broken)
    telemetry.http_request("/healthz", "GET", 200, 0.001)
    families = scrape(telemetry)

    assert "bookiji_http_requests_total" in families
    assert "bookiji_outbox_dlq_depth" not in families


def test_two_instances_in_one_process_do_not_share_or_collide() -> None:
    first, second = PrometheusTelemetry(), PrometheusTelemetry()
    first.http_request("/healthz", "GET", 200, 0.001)
    samples = scrape(second)["bookiji_http_requests_total"].samples

    assert samples == []


@pytest.mark.parametrize(
    "adapter", [PrometheusTelemetry, InMemoryTelemetry, NullTelemetry], ids=lambda a: a.__name__
)
def test_every_telemetry_adapter_has_every_method_of_the_port(adapter: type) -> None:
    port = {name for name in vars(Telemetry) if not name.startswith("_")}

    assert port <= set(dir(adapter)), port - set(dir(adapter))
    assert "http_request" in port and "map_provider_health" in port
