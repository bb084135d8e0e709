"""Write an aggregate's new audit entries and payment commands in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from bookiji_core.access import AccessLogEntry
from bookiji_core.booking import Booking
from bookiji_core.payments import OutboxMessage
from bookiji_core.ports import Ids, UnitOfWork
from bookiji_core.usecases.notify import enqueue_for_changes


def record_changes(uow: UnitOfWork, booking: Booking, ids: Ids, now: datetime) -> None:
    """The booking's new audit entries, the payment commands it raised and the notifications
    its changes owe (usecases/notify.py), all in the caller's open transaction: they commit
    with the change or not at all."""
    enqueue_for_changes(uow, booking, now)
    for entry in booking.new_audit:
        uow.audit.append(entry)
    for command in booking.new_commands:
        uow.outbox.add(OutboxMessage.queue(ids.new("msg"), command, now))
    booking.new_audit.clear()
    booking.new_commands.clear()


def log_access(
    uow: UnitOfWork, *, subject_id: str, actor_id: str, purpose: str, resource: str, at: datetime
) -> None:
    uow.access_log.append(AccessLogEntry(subject_id, actor_id, purpose, resource, at))
