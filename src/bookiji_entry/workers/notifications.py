"""The notification delivery loop (`bkctl worker notifications`; in `bkctl serve`'s threads
too): sends due notifications through the profile's notifier, with backoff and a DLQ."""

from __future__ import annotations

import logging
import os
import socket

from bookiji_core.ports import Clock, Notifier, Telemetry, UnitOfWorkFactory
from bookiji_core.usecases.deliver_notifications import DeliveryReport, NotificationDelivery
from bookiji_entry.workers import Loop

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
    return NotificationDelivery(
        uow(), notifier, clock, telemetry, owner=owner or f"{socket.gethostname()}:{os.getpid()}"
    )


def tick(delivery: NotificationDelivery) -> DeliveryReport:
    report = delivery.drain(max_rounds=MAX_ROUNDS_PER_TICK)
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


def loops(
    uow: UnitOfWorkFactory, notifier: Notifier, clock: Clock, telemetry: Telemetry
) -> list[Loop]:
    delivery = delivery_for(uow, notifier, clock, telemetry)
    return [Loop("notifications", INTERVAL_SECONDS, lambda: tick(delivery))]
