"""Gauges read from the database at scrape time: outbox states, DLQ depth, double charges,
notification states, worker heartbeats.

Whatever process is scraped, and however many there are, the figures are the stored ones, so
this collector is registered on the registry that serves a scrape, never in per-process files.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import attrs
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bookiji_core.notifications import NotificationState
from bookiji_core.payments import OutboxState
from bookiji_core.ports import UnitOfWorkFactory
from bookiji_core.usecases.reconcile import DOUBLE_CHARGES

log = logging.getLogger(__name__)

OUTBOX_MESSAGES = "bookiji_outbox_messages"
DLQ_DEPTH = "bookiji_outbox_dlq_depth"
DOUBLE_CHARGED = "bookiji_double_charged_bookings"
NOTIFICATIONS = "bookiji_notification_messages"
WORKER_HEARTBEAT = "bookiji_worker_heartbeat_timestamp_seconds"


@attrs.frozen
class Snapshot:
    outbox: dict[str, int]
    double_charged: int
    notifications: dict[str, int] = attrs.field(factory=dict)
    # (worker, host:pid) -> Unix time of its last beat
    heartbeats: dict[tuple[str, str], float] = attrs.field(factory=dict)


def read_snapshot(unit_of_work: UnitOfWorkFactory) -> Snapshot:
    with unit_of_work() as uow:
        counts = uow.outbox.counts()
        stored = uow.controls.get(DOUBLE_CHARGES)
        sent = uow.notifications.counts()
        beats = {(b.worker, b.process): b.beat_at.timestamp() for b in uow.workers.all()}
    outbox = {state.value: int(counts.get(state, 0)) for state in OutboxState}
    notifications = {state.value: int(sent.get(state, 0)) for state in NotificationState}
    doubles = int(stored) if stored and stored.isdigit() else 0
    return Snapshot(outbox, doubles, notifications, beats)


class DatabaseCollector(Collector):
    """One short read transaction per scrape. If the database does not answer, these gauges
    are left out of that scrape (and a warning logged) rather than failing the whole scrape:
    the request metrics matter most exactly while the database is down."""

    def __init__(self, unit_of_work: UnitOfWorkFactory) -> None:
        self._unit_of_work = unit_of_work

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield from _families(None)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            snapshot = read_snapshot(self._unit_of_work)
        except Exception as exc:  # any storage failure: skip these gauges this time
            log.warning("metrics: could not read the outbox and ledger figures: %r", exc)
            return
        yield from _families(snapshot)


def _families(snapshot: Snapshot | None) -> Iterator[GaugeMetricFamily]:
    messages = GaugeMetricFamily(
        OUTBOX_MESSAGES,
        "Outbox messages now in each state, read from the database at scrape time.",
        labels=["state"],
    )
    depth = GaugeMetricFamily(
        DLQ_DEPTH, "Outbox messages now in the dead-letter queue, read from the database."
    )
    doubles = GaugeMetricFamily(
        DOUBLE_CHARGED,
        "Bookings double-charged now, per the latest reconciliation, read from the database.",
    )
    notifications = GaugeMetricFamily(
        NOTIFICATIONS,
        "Notifications now in each state, read from the database at scrape time.",
        labels=["state"],
    )
    heartbeat = GaugeMetricFamily(
        WORKER_HEARTBEAT,
        "Unix time of each worker process's last loop beat, read from the database "
        "(`bkctl worker status`; alert on time() minus its max by worker).",
        labels=["worker", "process"],
    )
    if snapshot is not None:
        for state, count in snapshot.outbox.items():
            messages.add_metric([state], count)
        depth.add_metric([], snapshot.outbox[OutboxState.DLQ.value])
        doubles.add_metric([], snapshot.double_charged)
        for state, count in snapshot.notifications.items():
            notifications.add_metric([state], count)
        for (worker, process), at in sorted(snapshot.heartbeats.items()):
            heartbeat.add_metric([worker, process], at)
    yield from (messages, depth, doubles, notifications, heartbeat)
