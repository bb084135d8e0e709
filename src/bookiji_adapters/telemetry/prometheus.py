"""PrometheusTelemetry: the Telemetry port as prometheus-client metrics, per docs/metrics.md.

Names, types, labels and buckets are the contract in docs/metrics.md (a test compares them
with a scrape). Nothing is registered in prometheus-client's global default registry: each
instance has its own, so several apps (tests) can live in one process.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from bookiji_adapters.telemetry import multiprocess
from bookiji_adapters.telemetry.database import PRIVACY, ROLLBACK, DatabaseCollector
from bookiji_adapters.telemetry.stored import PREFIX, StoredHistogram
from bookiji_core.notifications import Channel, DeliveryOutcome
from bookiji_core.payments import PaymentAction
from bookiji_core.ports import Clock, UnitOfWorkFactory
from bookiji_core.webhooks import WebhookOutcome

REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0)
DELIVERY_OUTCOMES = ("committed", "retry", "dlq")
MAP_PROVIDERS = ("primary", "fallback")
HTTP_LABELS = ("route", "method", "code")
RATE_LIMITS = ("address", "principal")


class PrometheusTelemetry:
    """Counters and histograms for the SLI events, plus the database gauges at scrape time.

    With `multiprocess_dir`, every process of the deployment (API workers, relay and shredder
    workers, short-lived `bkctl` commands) writes to that directory, and `exposition()`
    merges all of them, so whichever process answers a scrape reports the whole deployment.
    """

    def __init__(
        self,
        unit_of_work: UnitOfWorkFactory | None = None,
        *,
        multiprocess_dir: str | None = None,
        clock: Clock | None = None,
    ) -> None:
        if multiprocess_dir is not None:
            multiprocess.enable(multiprocess_dir)
        self.multiprocess_dir = multiprocess_dir
        self.registry = CollectorRegistry()
        self._define(self.registry)
        self._unit_of_work = unit_of_work
        self._unstored: defaultdict[tuple[str, str], list[float]] = defaultdict(list)
        database = None
        if unit_of_work is not None:
            # The privacy queue's ages are by the deployment's clock (a test's, in tests).
            database = (
                DatabaseCollector(unit_of_work, clock.now)
                if clock
                else DatabaseCollector(unit_of_work)
            )
        if multiprocess_dir is None:
            self._scrape = self.registry
        else:
            # Registering the per-process metrics here too would export them twice.
            self._scrape = CollectorRegistry()
            # prometheus-client ships the collector without annotations.
            MultiProcessCollector(self._scrape, path=multiprocess_dir)  # type: ignore[no-untyped-call]
        if database is not None:
            self._scrape.register(database)
        else:
            self._scrape.register(_Unstored(self._unstored))

    def _define(self, r: CollectorRegistry) -> None:
        self._requests = Counter(
            "bookiji_http_requests", "HTTP requests served, by outcome.", HTTP_LABELS, registry=r
        )
        self._durations = Histogram(
            "bookiji_http_request_duration_seconds",
            "Time to serve one HTTP request, from request received to response sent.",
            HTTP_LABELS,
            buckets=REQUEST_BUCKETS,
            registry=r,
        )
        self._webhooks = Counter(
            "bookiji_stripe_webhook_events",
            "Stripe webhook events received, by what applying them did.",
            ["outcome"],
            registry=r,
        )
        self._deliveries = Counter(
            "bookiji_outbox_deliveries",
            "Delivery attempts by the outbox relay.",
            ["action", "outcome"],
            registry=r,
        )
        self._notifications = Counter(
            "bookiji_notification_deliveries",
            "Delivery attempts of notifications, by channel and outcome.",
            ["channel", "outcome"],
            registry=r,
        )
        self._access_writes = Counter(
            "bookiji_access_log_writes",
            "Access-log writes attempted (every attempt, including the ones that failed).",
            registry=r,
        )
        self._access_failures = Counter(
            "bookiji_access_log_write_failures", "Access-log writes that failed.", registry=r
        )
        self._map_requests = Counter(
            "bookiji_map_requests",
            "Map lookups by provider and result.",
            ["provider", "outcome"],
            registry=r,
        )
        # The latest check anywhere wins, whichever process made it.
        self._map_up = Gauge(
            "bookiji_map_provider_up",
            "1 if the last health check of that map provider succeeded, else 0.",
            ["provider"],
            multiprocess_mode="mostrecent",
            registry=r,
        )
        self._double_charges = Counter(
            "bookiji_double_charges",
            "Double-charged bookings reported by reconciliation runs, summed over the runs.",
            registry=r,
        )
        self._rate_limited = Counter(
            "bookiji_http_rate_limited",
            "Requests refused with 429, by the limit that refused them.",
            ["limit"],
            registry=r,
        )
        self._overloaded = Counter(
            "bookiji_http_overloaded",
            "Requests refused with 503 because the process had too many in flight.",
            registry=r,
        )
        self._chain_intact = Gauge(
            "bookiji_history_chain_intact",
            "1 if the last verification of that history table's hash chain found it whole.",
            ["chain"],
            multiprocess_mode="mostrecent",
            registry=r,
        )
        self._chain_rows = Gauge(
            "bookiji_history_chain_rows",
            "Rows in that history table's hash chain at its last verification.",
            ["chain"],
            multiprocess_mode="mostrecent",
            registry=r,
        )
        self._initialise_known_series()

    def _initialise_known_series(self) -> None:
        """Export 0 for every label value known in advance, so that a first event is a rate
        and not a series appearing from nothing (which rate() and increase() miss)."""
        for outcome in WebhookOutcome:
            self._webhooks.labels(outcome.value)
        for action in PaymentAction:
            for delivered in DELIVERY_OUTCOMES:
                self._deliveries.labels(action.value, delivered)
        for channel in Channel:
            for sent in DeliveryOutcome:
                self._notifications.labels(channel.value, sent.value)
        for provider in MAP_PROVIDERS:
            for result in ("ok", "error"):
                self._map_requests.labels(provider, result)
        for limit in RATE_LIMITS:
            self._rate_limited.labels(limit)

    # The Telemetry port.

    def http_request(self, route: str, method: str, status: int, seconds: float) -> None:
        code = str(status)
        self._requests.labels(route, method, code).inc()
        self._durations.labels(route, method, code).observe(seconds)

    def webhook_outcome(self, outcome: str) -> None:
        self._webhooks.labels(str(outcome)).inc()

    def outbox_delivery(self, action: str, outcome: str) -> None:
        self._deliveries.labels(str(action), str(outcome)).inc()

    def notification_delivery(self, channel: str, outcome: str) -> None:
        self._notifications.labels(str(channel), str(outcome)).inc()

    def access_log_write(self, ok: bool) -> None:
        self._access_writes.inc()
        if not ok:
            self._access_failures.inc()

    def map_request(self, provider: str, ok: bool) -> None:
        self._map_requests.labels(provider, "ok" if ok else "error").inc()

    def map_provider_health(self, provider: str, up: bool) -> None:
        self._map_up.labels(provider).set(1 if up else 0)

    def privacy_request(self, kind: str, seconds: float) -> None:
        self._stored(PRIVACY, seconds, str(kind))

    def rollback(self, seconds: float) -> None:
        self._stored(ROLLBACK, seconds)

    def _stored(self, histogram: StoredHistogram, seconds: float, value: str = "") -> None:
        if self._unit_of_work is not None:
            histogram.observe(self._unit_of_work, seconds, value)
        else:  # no database (a test's telemetry): this process's own copy
            self._unstored[(histogram.name, value)].append(seconds)

    def double_charges(self, count: int) -> None:
        if count > 0:
            self._double_charges.inc(count)

    def rate_limited(self, limit: str) -> None:
        self._rate_limited.labels(limit).inc()

    def overloaded(self) -> None:
        self._overloaded.inc()

    def history_chain(self, chain: str, rows: int, intact: bool) -> None:
        self._chain_intact.labels(chain).set(1 if intact else 0)
        self._chain_rows.labels(chain).set(rows)

    # Exposition.

    def exposition(self) -> tuple[bytes, str]:
        """The body and content type of a scrape of the whole deployment."""
        return generate_latest(self._scrape), CONTENT_TYPE_LATEST


class _Unstored(Collector):
    """Without a database, the stored histograms of this process alone (tests)."""

    def __init__(self, observed: dict[tuple[str, str], list[float]]) -> None:
        self._observed = observed

    def collect(self) -> Iterator[Metric]:
        for histogram in (PRIVACY, ROLLBACK):
            stored: dict[str, str] = {}
            for value in histogram.values:
                base = f"{PREFIX}{histogram.key}:{value}:"
                seen = self._observed.get((histogram.name, value), [])
                for le in histogram.buckets:
                    stored[f"{base}{le:g}"] = str(sum(1 for s in seen if s <= le))
                stored[f"{base}count"] = str(len(seen))
                stored[f"{base}sum"] = str(sum(seen))
            yield histogram.family(stored)
