"""One round of a background worker in a run, and the event-log line it leaves."""

from __future__ import annotations

from collections.abc import Callable

from bookiji_core.usecases import OutboxRelay
from bookiji_core.usecases.deliver_notifications import NotificationDelivery

Log = Callable[[str, str], None]


def relay_round(relay: OutboxRelay, name: str, log: Log) -> None:
    report = relay.run_once()
    if report.claimed:
        log(
            name,
            f"claimed {report.claimed} committed {report.committed} declined "
            f"{report.declined} retried {report.retried} dead {report.dead} waited "
            f"{report.waited} lost {report.lost_lease}",
        )


def notify_round(delivery: NotificationDelivery, name: str, log: Log) -> None:
    """The notification outbox's delivery worker: SimCity's notifier tells the vendors."""
    report = delivery.run_once()
    if report.claimed:
        log(
            name,
            f"claimed {report.claimed} sent {report.sent} retried {report.retried} "
            f"dead {report.dead} skipped {report.skipped}",
        )
