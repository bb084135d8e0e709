"""`bkctl slo report`'s output: a table for people, JSON for scripts."""

from __future__ import annotations

from typing import Any

from bookiji_entry.slo import (
    ACCESS_LOG_ERROR_RATIO,
    AVAILABILITY,
    LATENCY_P95_SECONDS,
    LATENCY_P99_SECONDS,
    PRIVACY_P95_SECONDS,
    ROLLBACK_P95_SECONDS,
    Report,
)


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _verdict(met: bool | str | None) -> str:
    if isinstance(met, str):
        return met  # no objective of its own
    return {True: "ok", False: "BREACH", None: "no data"}[met]


def as_text(result: Report) -> str:
    verdicts = result.verdicts()
    lines = [f"Bookiji SLO report: {result.source}", f"Window: {result.window}", ""]
    lines.append(f"{'Latency by route':34} {'requests':>9} {'P50':>8} {'P95':>8} {'P99':>8}  SLO")
    for item in result.latency:
        slo = (
            f"P95 ≤ {_seconds(LATENCY_P95_SECONDS)}, P99 ≤ {_seconds(LATENCY_P99_SECONDS)}: "
            f"{_verdict(item.met)}"
            if item.has_slo
            else "—"
        )
        lines.append(
            f"  {item.route:32} {item.requests:9.0f} {_seconds(item.p50):>8} "
            f"{_seconds(item.p95):>8} {_seconds(item.p99):>8}  {slo}"
        )
    if not result.latency:
        lines.append("  (no requests yet)")
    availability = result.availability
    budget = result.error_budget_left
    rows = [
        (
            "Availability (/api/, non-5xx)",
            "—" if availability is None else f"{availability:.4%}",
            f"≥ {AVAILABILITY:.0%}",
            verdicts["availability"],
        ),
        (
            "Error budget left",
            "—" if budget is None else f"{budget:.1%}",
            f"≥ 0 (budget {1 - AVAILABILITY:.0%})",
            None if budget is None else budget >= 0,
        ),
        ("DLQ depth", _count(result.dlq_depth), "0", verdicts["dlq depth"]),
        ("Double-charged bookings", _count(result.double_charged), "0", verdicts["double charges"]),
        ("Double charges found", _count(result.double_charges_found), "—", "—"),
        (
            "Access-log write errors",
            "—"
            if result.access_log_error_ratio is None
            else f"{result.access_log_error_ratio:.3%}",
            f"≤ {ACCESS_LOG_ERROR_RATIO:.1%}",
            verdicts["access-log write errors"],
        ),
    ]
    rows += [
        (
            f"Privacy {kind} P95",
            _seconds(p95),
            f"≤ {PRIVACY_P95_SECONDS:.0f} s",
            verdicts[f"privacy {kind}"],
        )
        for kind, p95 in result.privacy_p95.items()
    ]
    rows.append(
        (
            "Rollback P95",
            _seconds(result.rollback_p95),
            f"≤ {ROLLBACK_P95_SECONDS:.0f} s",
            verdicts["rollback"],
        )
    )
    lines += ["", f"{'SLI':34} {'now':>12}  {'objective':20} verdict"]
    lines += [
        f"  {name:32} {value:>12}  {target:20} {_verdict(met)}" for name, value, target, met in rows
    ]
    outcomes = ", ".join(f"{k} {v:.0f}" for k, v in sorted(result.webhooks.items())) or "—"
    lines += ["", f"Stripe webhooks: {outcomes}"]
    return "\n".join(lines)


def _count(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def as_json(result: Report) -> dict[str, Any]:
    verdicts = result.verdicts()
    return {
        "source": result.source,
        "window": result.window,
        "evaluated_at": result.evaluated_at,
        "latency": [
            {
                "route": item.route,
                "requests": item.requests,
                "p50_seconds": item.p50,
                "p95_seconds": item.p95,
                "p99_seconds": item.p99,
                "slo": (
                    {"p95_seconds": LATENCY_P95_SECONDS, "p99_seconds": LATENCY_P99_SECONDS}
                    if item.has_slo
                    else None
                ),
                "met": item.met,
            }
            for item in result.latency
        ],
        "availability": result.availability,
        "availability_slo": AVAILABILITY,
        "error_budget_left": result.error_budget_left,
        "api_requests": result.api_requests,
        "api_errors": result.api_errors,
        "dlq_depth": result.dlq_depth,
        "double_charged_bookings": result.double_charged,
        "double_charges_found": result.double_charges_found,
        "access_log_writes": result.access_log_writes,
        "access_log_write_failures": result.access_log_failures,
        "access_log_error_ratio": result.access_log_error_ratio,
        "webhooks": dict(result.webhooks),
        "privacy_p95_seconds": dict(result.privacy_p95),
        "rollback_p95_seconds": result.rollback_p95,
        "verdicts": verdicts,
        "all_met": all(v is not False for v in verdicts.values()),
    }
