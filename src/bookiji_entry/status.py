"""What GET /api/status and the /status page show: the SLA banner, each SLO against its
objective (from this deployment's /metrics, since its processes started), and the state of the
payment outbox, its DLQ, the notifications and the privacy queue (from the database)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from bookiji_core.notifications import NotificationState
from bookiji_core.payments import OutboxState
from bookiji_core.ports import UnitOfWorkFactory
from bookiji_core.privacy_queue import Backlog
from bookiji_entry import slo
from bookiji_entry.render import timestamp


def samples(exposition: bytes) -> list[slo.Sample]:
    families = text_string_to_metric_families(exposition.decode("utf-8"))
    return [slo.Sample(s.name, s.labels, s.value) for f in families for s in f.samples]


def _objectives(report: slo.Report) -> list[dict[str, Any]]:
    def row(name: str, objective: str, value: float | None, unit: str, met: bool | None) -> Any:
        shown = None if value is None else round(value, 4)
        return {"name": name, "objective": objective, "value": shown, "unit": unit, "met": met}

    verdicts = report.verdicts()
    rows = []
    for item in report.latency:
        if item.has_slo:
            rows.append(
                row(
                    f"latency {item.route} P95",
                    "≤ 0.5 s",
                    item.p95,
                    "s",
                    verdicts[f"latency {item.route}"],
                )
            )
            rows.append(row(f"latency {item.route} P99", "≤ 1 s", item.p99, "s", item.met))
    rows.append(
        row("availability", "≥ 99 %", report.availability, "ratio", verdicts["availability"])
    )
    rows.append(row("payment DLQ depth", "0", report.dlq_depth, "messages", verdicts["dlq depth"]))
    rows.append(
        row("double charges", "0", report.double_charged, "bookings", verdicts["double charges"])
    )
    for kind, p95 in report.privacy_p95.items():
        rows.append(row(f"privacy {kind} P95", "≤ 60 s", p95, "s", verdicts[f"privacy {kind}"]))
    rows.append(row("rollback P95", "≤ 60 s", report.rollback_p95, "s", verdicts["rollback"]))
    return rows


def status(
    unit_of_work: UnitOfWorkFactory, exposition: bytes, banner: str | None, now: datetime
) -> dict[str, Any]:
    report = slo.report(samples(exposition), source="/metrics", window="since start")
    with unit_of_work().read_only() as uow:
        outbox = uow.outbox.counts()
        sent = uow.notifications.counts()
        queue = Backlog(tuple(uow.privacy.open_requests(10_000)), now)
    slos = _objectives(report)
    breached = [r["name"] for r in slos if r["met"] is False]
    return {
        "status": "degraded" if banner or breached else "ok",
        "banner": banner,
        "checked_at": timestamp(now),
        "slos": slos,
        "breached": breached,
        "outbox": {state.value: int(outbox.get(state, 0)) for state in OutboxState},
        "notifications": {state.value: int(sent.get(state, 0)) for state in NotificationState},
        "privacy_queue": {
            "open": queue.count(),
            "oldest_age_seconds": round(queue.oldest_age(), 1),
        },
    }
