"""`bkctl slo report`: each SLI of a running service against its SLO (/metrics or Prometheus)."""

from __future__ import annotations

import argparse
import math
import sys
import time
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bookiji_entry.cli._common import UNAVAILABLE, CliError, add_url, print_json, server_url
from bookiji_entry.slo import Sample, report
from bookiji_entry.slo_render import as_json, as_text

UNREACHABLE = UNAVAILABLE


def register(commands: Any) -> None:
    slo = commands.add_parser(
        "slo",
        help="service level objectives",
        description="Service level indicators against their objectives.",
    )
    sub = slo.add_subparsers(dest="slo_command", metavar="SUBCOMMAND", required=True)
    parser = sub.add_parser(
        "report",
        help="print each SLI against its SLO",
        description=(
            "Read a running service's /metrics (totals since its processes started) or a "
            "Prometheus server (increases over a window), and print latency P50/P95/P99 per "
            "route, availability and the error budget left, DLQ depth, double charges, "
            "access-log write errors, privacy and rollback durations, each against its SLO. "
            "Exits 1 if the service or Prometheus cannot be read."
        ),
    )
    add_url(parser)
    parser.add_argument(
        "--prometheus", metavar="URL", help="read from this Prometheus server instead"
    )
    parser.add_argument(
        "--window", default="1h", help="with --prometheus: latency and rates over (default 1h)"
    )
    parser.add_argument(
        "--period",
        default="30d",
        help="with --prometheus: availability, budget and rare events over (default 30d)",
    )
    parser.add_argument("--job", help="with --prometheus: only series with this job label")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per request (5)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--fail-on-breach",
        action="store_true",
        help="exit 1 when any SLI misses its SLO (for cron jobs and deploy gates)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.prometheus:
        source = args.prometheus.rstrip("/")
        at = time.time()
        samples = from_prometheus(source, args.window, args.period, args.job, args.timeout, at)
        window = f"{args.window} (availability, privacy, rollback: {args.period})"
        result = report(samples, source=source, window=window, evaluated_at=at)
    else:
        source = metrics_url(server_url(args.url))
        samples = from_metrics(source, args.timeout)
        result = report(samples, source=source, window="since the service's processes started")
    rendered = as_json(result)
    if args.json:
        print_json(rendered)
    else:
        print(as_text(result))
    if args.fail_on_breach and not rendered["all_met"]:
        missed = ", ".join(k for k, ok in rendered["verdicts"].items() if ok is False)
        print(f"bkctl: SLO breached: {missed}", file=sys.stderr)
        return 1
    return 0


def metrics_url(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/metrics") else url + "/metrics"


def _get(url: str, timeout: float, params: dict[str, str] | None = None) -> httpx.Response:
    try:
        response = httpx.get(url, params=params, timeout=timeout)
    except httpx.HTTPError as exc:
        raise CliError(f"cannot reach {url}: {exc or type(exc).__name__}", UNREACHABLE) from None
    if response.status_code != 200:
        raise CliError(f"{url} answered {response.status_code}: {response.text[:200]}", 1)
    return response


def from_metrics(url: str, timeout: float) -> list[Sample]:
    text = _get(url, timeout).text
    try:
        families = list(text_string_to_metric_families(text))
    except ValueError as exc:
        raise CliError(f"{url} did not answer in the Prometheus text format: {exc}", 1) from None
    if not any(f.name.startswith("bookiji_") for f in families):
        raise CliError(f"{url} exports no bookiji_* metrics: is it a Bookiji service?", 1)
    return [Sample(s.name, s.labels, s.value) for f in families for s in f.samples]


# (series name as the report reads it, PromQL template; {sel} the job matcher, {w}/{p} windows)
PROMETHEUS_QUERIES = (
    (
        "bookiji_http_request_duration_seconds_bucket",
        "sum by (route, le) (increase(bookiji_http_request_duration_seconds_bucket{sel}[{w}]))",
    ),
    (
        "bookiji_http_requests_total",
        "sum by (route, code) (increase(bookiji_http_requests_total{sel}[{p}]))",
    ),
    ("bookiji_outbox_dlq_depth", "max(bookiji_outbox_dlq_depth{sel})"),
    ("bookiji_double_charged_bookings", "max(bookiji_double_charged_bookings{sel})"),
    ("bookiji_double_charges_total", "sum(increase(bookiji_double_charges_total{sel}[{p}]))"),
    (
        "bookiji_stripe_webhook_events_total",
        "sum by (outcome) (increase(bookiji_stripe_webhook_events_total{sel}[{w}]))",
    ),
    ("bookiji_access_log_writes_total", "sum(increase(bookiji_access_log_writes_total{sel}[{w}]))"),
    (
        "bookiji_access_log_write_failures_total",
        "sum(increase(bookiji_access_log_write_failures_total{sel}[{w}]))",
    ),
    (
        "bookiji_privacy_request_duration_seconds_bucket",
        "sum by (kind, le) (increase(bookiji_privacy_request_duration_seconds_bucket{sel}[{p}]))",
    ),
    (
        "bookiji_rollback_duration_seconds_bucket",
        "sum by (le) (increase(bookiji_rollback_duration_seconds_bucket{sel}[{p}]))",
    ),
)


def from_prometheus(
    base: str, window: str, period: str, job: str | None, timeout: float, at: float
) -> list[Sample]:
    """Every query at the same instant `at`, so that the figures of one report agree."""
    selector = "{" + f'job="{job}"' + "}" if job else ""
    samples: list[Sample] = []
    for name, template in PROMETHEUS_QUERIES:
        query = template.replace("{sel}", selector).replace("{w}", window).replace("{p}", period)
        body = _get(f"{base}/api/v1/query", timeout, {"query": query, "time": f"{at:.3f}"}).json()
        if body.get("status") != "success":
            raise CliError(f"Prometheus refused {query!r}: {body.get('error')}", 1)
        for item in body["data"]["result"]:
            value = float(item["value"][1])
            if not math.isnan(value):
                samples.append(Sample(name, item["metric"], value))
    return samples
