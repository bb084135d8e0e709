"""Metrics read from the database at scrape time: outbox states, DLQ depth, double charges,
notification states, worker heartbeats, the privacy queue, the last successful drills, and the
histograms that short-lived processes store there (rollback and privacy durations, `stored.py`).

Whatever process is scraped, and however many there are, the figures are the stored ones, so
this collector is registered on the registry that serves a scrape, never in per-process files.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import attrs
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from bookiji_adapters.telemetry.stored import PREFIX, StoredHistogram, families
from bookiji_core.drills import last_successes
from bookiji_core.notifications import NotificationState
from bookiji_core.payments import OutboxState
from bookiji_core.ports import UnitOfWorkFactory
from bookiji_core.privacy_queue import Backlog, RequestKind
from bookiji_core.usecases.reconcile import DOUBLE_CHARGES

log = logging.getLogger(__name__)

OUTBOX_MESSAGES = "bookiji_outbox_messages"
DLQ_DEPTH = "bookiji_outbox_dlq_depth"
DOUBLE_CHARGED = "bookiji_double_charged_bookings"
NOTIFICATIONS = "bookiji_notification_messages"
WORKER_HEARTBEAT = "bookiji_worker_heartbeat_timestamp_seconds"
QUEUE_OPEN = "bookiji_privacy_queue_requests"
QUEUE_AGE = "bookiji_privacy_queue_oldest_age_seconds"
DRILL_SUCCESS = "bookiji_drill_last_success_timestamp_seconds"
PRIVACY_KINDS = tuple(k.value for k in RequestKind)

PRIVACY = StoredHistogram(
    "bookiji_privacy_request_duration_seconds",
    "Time to complete one privacy request, from the request to its result.",
    key="privacy",
    buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0),
    label="kind",
    values=PRIVACY_KINDS,
)
ROLLBACK = StoredHistogram(
    "bookiji_rollback_duration_seconds",
    "Time taken by one bkctl rollback --booking <id>.",
    key="rollback",
    buckets=(0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 120.0),
)
STORED = (PRIVACY, ROLLBACK)


@attrs.frozen
class Snapshot:
    outbox: dict[str, int]
    double_charged: int
    notifications: dict[str, int] = attrs.field(factory=dict)
    # (worker, host:pid) -> Unix time of its last beat
    heartbeats: dict[tuple[str, str], float] = attrs.field(factory=dict)
    stored: dict[str, str] = attrs.field(factory=dict)
    drills: dict[str, float] = attrs.field(factory=dict)
    queue: Backlog | None = None


def _wall_clock() -> datetime:
    return datetime.now(UTC)


def read_snapshot(
    unit_of_work: UnitOfWorkFactory, now: Callable[[], datetime] = _wall_clock
) -> Snapshot:
    with unit_of_work() as uow:
        counts = uow.outbox.counts()
        stored = uow.controls.get(DOUBLE_CHARGES)
        sent = uow.notifications.counts()
        beats = {(b.worker, b.process): b.beat_at.timestamp() for b in uow.workers.all()}
        histograms = uow.controls.with_prefix(PREFIX)
        drills = last_successes(uow.controls.with_prefix("drill:"))
        queue = Backlog(tuple(uow.privacy.open_requests(10_000)), now())
    outbox = {state.value: int(counts.get(state, 0)) for state in OutboxState}
    notifications = {state.value: int(sent.get(state, 0)) for state in NotificationState}
    doubles = int(stored) if stored and stored.isdigit() else 0
    return Snapshot(outbox, doubles, notifications, beats, histograms, drills, queue)


class DatabaseCollector(Collector):
    """One short read transaction per scrape. If the database does not answer, these gauges
    are left out of that scrape (and a warning logged) rather than failing the whole scrape:
    the request metrics matter most exactly while the database is down."""

    def __init__(
        self, unit_of_work: UnitOfWorkFactory, now: Callable[[], datetime] = _wall_clock
    ) -> None:
        self._unit_of_work = unit_of_work
        self._now = now

    def describe(self) -> Iterator[Metric]:
        yield from _families(None)

    def collect(self) -> Iterator[Metric]:
        try:
            snapshot = read_snapshot(self._unit_of_work, self._now)
        except Exception as exc:  # any storage failure: skip these gauges this time
            log.warning("metrics: could not read the outbox and ledger figures: %r", exc)
            return
        yield from _families(snapshot)


def _families(snapshot: Snapshot | None) -> Iterator[Metric]:
    yield from _payments(snapshot)
    yield from _operations(snapshot)
    yield from families(STORED, None if snapshot is None else snapshot.stored)


def _operations(snapshot: Snapshot | None) -> Iterator[Metric]:
    queued = GaugeMetricFamily(
        QUEUE_OPEN,
        "Privacy requests queued or running now, by kind, read from the database.",
        labels=["kind"],
    )
    age = GaugeMetricFamily(
        QUEUE_AGE,
        "Age of the oldest open privacy request of each kind (0 when none), from the database.",
        labels=["kind"],
    )
    drills = GaugeMetricFamily(
        DRILL_SUCCESS,
        "Unix time of the last drill that met every target (0: never), from the database.",
        labels=["drill"],
    )
    if snapshot is not None and snapshot.queue is not None:
        for kind in RequestKind:
            queued.add_metric([kind.value], snapshot.queue.count(kind))
            age.add_metric([kind.value], snapshot.queue.oldest_age(kind))
    if snapshot is not None:
        for drill, at in snapshot.drills.items():
            drills.add_metric([drill], at)
    yield from (queued, age, drills)


def _payments(snapshot: Snapshot | None) -> Iterator[Metric]:
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
