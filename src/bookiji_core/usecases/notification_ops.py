"""Operator controls of the notifications' dead-letter queue (runbook notification-dlq):
list what could not be delivered, and send it again once the cause is fixed."""

from __future__ import annotations

from bookiji_core.access import Principal, Role
from bookiji_core.errors import InvalidInput
from bookiji_core.notifications import Notification, NotificationState
from bookiji_core.ports import Clock, UnitOfWork
from bookiji_core.principals import AdminAction, PrincipalAction, audited_reason

MAX_LIMIT = 10_000


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("limit", f"limit must be between 1 and {MAX_LIMIT}")
    return limit


def dead_notifications(
    principal: Principal, uow: UnitOfWork, limit: int = 100
) -> list[Notification]:
    """The notifications in the DLQ: every attempt failed (a bounced address, a vendor's
    endpoint that kept refusing), oldest first as the storage lists them."""
    principal.require(Role.ADMIN)
    with uow.read_only():
        return uow.notifications.list_by_state(NotificationState.DLQ, _limit(limit))


def redrive_notifications(
    principal: Principal, reason: str, uow: UnitOfWork, clock: Clock, limit: int = 100
) -> list[Notification]:
    """Queue up to `limit` dead notifications again with a fresh budget of attempts, after
    a person fixed the cause (the address, the endpoint, the mail server); the worker sends
    them on its next tick. Each one is recorded in the admin audit (`principal_actions`,
    action `notify_redrive`, subject the notification id) with the reason. An empty
    reason is refused and changes nothing."""
    principal.require(Role.ADMIN)
    reason = audited_reason(reason, "say what was fixed before sending again (--reason)")
    limit = _limit(limit)
    now = clock.now()
    with uow:
        dead = uow.notifications.list_by_state(NotificationState.DLQ, limit)
        for notification in dead:
            uow.notifications.update(notification.redrive(now))
            uow.principals.record(
                PrincipalAction(
                    now,
                    principal.subject_id,
                    AdminAction.NOTIFY_REDRIVE,
                    notification.id,
                    Role.ADMIN,
                    reason,
                )
            )
        uow.commit()
    return dead
