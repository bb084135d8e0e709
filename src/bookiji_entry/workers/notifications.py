"""The notification delivery loop (`bkctl worker notifications`; in `bkctl serve`'s threads
too): sends due notifications through the profile's notifier, with backoff and a DLQ. Asked to
stop, it finishes the batch it holds and claims no more."""

from __future__ import annotations

import logging
import os
import socket

from bookiji_core.ports import Clock, Notifier, Telemetry, UnitOfWorkFactory
from bookiji_core.usecases.deliver_notifications import DeliveryReport, NotificationDelivery
from bookiji_entry.workers import Copy, Tick, Worker

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 1.0
MAX_ROUNDS_PER_TICK = 20


def delivery_for(
    uow: UnitOfWorkFactory,
    notifier: Notifier,
    clock: Clock,
    telemetry: Telemetry,
    owner: str | None = None,
) -> NotificationDelivery:
    name = owner or f"{socket.gethostname()}:{os.getpid()}"
    return NotificationDelivery(uow(), notifier, clock, telemetry, owner=name)


def tick(delivery: NotificationDelivery, copy: Copy | None = None) -> DeliveryReport:
    report = DeliveryReport()
    for _ in range(MAX_ROUNDS_PER_TICK):
        one = delivery.run_once()
        report += one
        if one.claimed == 0 or (copy is not None and copy.stop.is_set()):
            break
    if report.claimed:
        log.info(
            "notifications: %d claimed, %d sent, %d retried, %d to the DLQ, %d skipped",
            report.claimed,
            report.sent,
            report.retried,
            report.dead,
            report.skipped,
        )
    return report


def build(
    uow: UnitOfWorkFactory, notifier: Notifier, clock: Clock, telemetry: Telemetry, copy: Copy
) -> Tick:
    delivery = delivery_for(uow, notifier, clock, telemetry, copy.owner)
    return lambda: tick(delivery, copy)


WORKERS = (Worker("notifications", INTERVAL_SECONDS, build),)
