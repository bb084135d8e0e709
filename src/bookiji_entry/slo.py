"""The SLIs of docs/metrics.md computed from metric samples, against the seed's SLOs.

Samples come from a service's /metrics (counters since its processes started) or from a
Prometheus server (increases over a window); `bkctl slo report` prints the result. Quantiles
are estimated from histogram buckets exactly as PromQL's histogram_quantile does.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping

import attrs

SLO_ROUTES = ("/api/quote", "/api/bookings/confirm")
LATENCY_P95_SECONDS = 0.5
LATENCY_P99_SECONDS = 1.0
AVAILABILITY = 0.99
PRIVACY_P95_SECONDS = 60.0
ROLLBACK_P95_SECONDS = 60.0
ACCESS_LOG_ERROR_RATIO = 0.001


@attrs.frozen
class Sample:
    name: str
    labels: Mapping[str, str]
    value: float


def quantile(q: float, buckets: Iterable[tuple[float, float]]) -> float | None:
    """histogram_quantile(q) over cumulative (upper bound, count) buckets; None without data.
    Linear interpolation inside the bucket; a rank in the +Inf bucket gives the highest finite
    upper bound, as Prometheus does."""
    ordered = sorted(buckets)
    if len(ordered) < 2 or not math.isinf(ordered[-1][0]):
        return None
    counts, running = [], 0.0
    for _upper, count in ordered:
        running = max(running, count)  # tolerate a bucket read a moment before the next one
        counts.append(running)
    total = counts[-1]
    if total <= 0:
        return None
    rank = q * total
    b = next(i for i, count in enumerate(counts) if count >= rank)
    if b == len(ordered) - 1:
        return ordered[-2][0]
    upper = ordered[b][0]
    if b == 0 and upper <= 0:
        return upper
    lower, below = (0.0, 0.0) if b == 0 else (ordered[b - 1][0], counts[b - 1])
    inside = counts[b] - below
    return upper if inside <= 0 else lower + (upper - lower) * (rank - below) / inside


@attrs.frozen
class Latency:
    route: str
    requests: float
    p50: float | None
    p95: float | None
    p99: float | None

    @property
    def has_slo(self) -> bool:
        return self.route in SLO_ROUTES

    @property
    def met(self) -> bool | None:
        if not self.has_slo or self.p95 is None or self.p99 is None:
            return None
        return self.p95 <= LATENCY_P95_SECONDS and self.p99 <= LATENCY_P99_SECONDS


@attrs.frozen
class Report:
    source: str
    window: str
    latency: tuple[Latency, ...]
    api_requests: float
    api_errors: float
    dlq_depth: float | None
    double_charged: float | None
    double_charges_found: float
    webhooks: Mapping[str, float]
    access_log_writes: float
    access_log_failures: float
    privacy_p95: Mapping[str, float | None]
    rollback_p95: float | None
    evaluated_at: float | None = None  # Prometheus: the one instant every query was asked at

    @property
    def availability(self) -> float | None:
        if self.api_requests <= 0:
            return None
        return 1 - self.api_errors / self.api_requests

    @property
    def error_budget_left(self) -> float | None:
        """Share of the error budget (1 - SLO) not spent at the observed error ratio."""
        if self.availability is None:
            return None
        return 1 - (1 - self.availability) / (1 - AVAILABILITY)

    @property
    def access_log_error_ratio(self) -> float | None:
        if self.access_log_writes <= 0:
            return None
        return self.access_log_failures / self.access_log_writes

    def verdicts(self) -> dict[str, bool | None]:
        """Each SLO: True met, False breached, None no data."""

        def at_most(value: float | None, limit: float) -> bool | None:
            return None if value is None else value <= limit

        found: dict[str, bool | None] = {
            f"latency {item.route}": item.met for item in self.latency if item.has_slo
        }
        found["availability"] = (
            None if self.availability is None else (self.availability >= AVAILABILITY)
        )
        found["dlq depth"] = at_most(self.dlq_depth, 0)
        found["double charges"] = at_most(self.double_charged, 0)
        found["access-log write errors"] = at_most(
            self.access_log_error_ratio, ACCESS_LOG_ERROR_RATIO
        )
        for kind, p95 in self.privacy_p95.items():
            found[f"privacy {kind}"] = at_most(p95, PRIVACY_P95_SECONDS)
        found["rollback"] = at_most(self.rollback_p95, ROLLBACK_P95_SECONDS)
        return found


def report(
    samples: Iterable[Sample], *, source: str, window: str, evaluated_at: float | None = None
) -> Report:
    by_name: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_name[s.name].append(s)

    def total(name: str, **match: str) -> float:
        return sum(s.value for s in by_name[name] if match.items() <= s.labels.items())

    def gauge(name: str) -> float | None:
        values = [s.value for s in by_name[name]]
        return max(values) if values else None

    def histograms(name: str, key: str | None) -> dict[str, list[tuple[float, float]]]:
        buckets: dict[str, dict[float, float]] = defaultdict(lambda: defaultdict(float))
        for s in by_name[f"{name}_bucket"]:
            group = s.labels.get(key, "") if key else ""
            buckets[group][float(s.labels["le"])] += s.value
        return {group: sorted(b.items()) for group, b in buckets.items()}

    requests = by_name["bookiji_http_requests_total"]
    latency = [
        Latency(
            route,
            total("bookiji_http_requests_total", route=route),
            quantile(0.50, buckets),
            quantile(0.95, buckets),
            quantile(0.99, buckets),
        )
        for route, buckets in histograms("bookiji_http_request_duration_seconds", "route").items()
    ]
    latency.sort(key=lambda item: (not item.has_slo, item.route))
    api = [s for s in requests if s.labels.get("route", "").startswith("/api/")]
    privacy = histograms("bookiji_privacy_request_duration_seconds", "kind")
    rollback = histograms("bookiji_rollback_duration_seconds", None).get("", [])
    return Report(
        source=source,
        window=window,
        latency=tuple(latency),
        api_requests=sum(s.value for s in api),
        api_errors=sum(s.value for s in api if s.labels.get("code", "").startswith("5")),
        dlq_depth=gauge("bookiji_outbox_dlq_depth"),
        double_charged=gauge("bookiji_double_charged_bookings"),
        double_charges_found=total("bookiji_double_charges_total"),
        webhooks={
            s.labels["outcome"]: total("bookiji_stripe_webhook_events_total", **s.labels)
            for s in by_name["bookiji_stripe_webhook_events_total"]
        },
        access_log_writes=total("bookiji_access_log_writes_total"),
        access_log_failures=total("bookiji_access_log_write_failures_total"),
        privacy_p95={kind: quantile(0.95, b) for kind, b in sorted(privacy.items())},
        rollback_p95=quantile(0.95, rollback),
        evaluated_at=evaluated_at,
    )
