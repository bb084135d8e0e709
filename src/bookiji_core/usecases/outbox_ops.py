"""Operator controls of the outbox (runbook Incident-001): status, pause/resume, the DLQ."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import attrs

from bookiji_core.access import Principal, Role
from bookiji_core.errors import IllegalTransition, NotFound
from bookiji_core.payments import OutboxMessage, OutboxState
from bookiji_core.ports import Clock, UnitOfWork
from bookiji_core.principals import AdminAction, PrincipalAction, audited_reason

PAUSED = "outbox.paused"


@attrs.frozen
class OutboxStatus:
    counts: Mapping[OutboxState, int]
    paused: bool
    oldest_queued_at: datetime | None

    @property
    def dlq_depth(self) -> int:
        return self.counts.get(OutboxState.DLQ, 0)


def is_paused(uow: UnitOfWork) -> bool:
    """Within the caller's transaction: is the relay paused? Kept in storage so that the
    pause holds for every relay process."""
    return uow.controls.get(PAUSED) == "true"


def set_paused(uow: UnitOfWork, clock: Clock, paused: bool) -> OutboxStatus:
    """Pause or resume the relay. Confirms still queue their holds while it is paused."""
    with uow:
        uow.controls.set(PAUSED, "true" if paused else "false", clock.now())
        uow.commit()
    return outbox_status(uow)


def outbox_status(uow: UnitOfWork) -> OutboxStatus:
    with uow:
        counts = dict(uow.outbox.counts())
        oldest = uow.outbox.list_by_state(OutboxState.QUEUED, limit=1)
        return OutboxStatus(
            counts=counts,
            paused=is_paused(uow),
            oldest_queued_at=oldest[0].created_at if oldest else None,
        )


def dlq_messages(uow: UnitOfWork, limit: int = 100) -> list[OutboxMessage]:
    with uow:
        return uow.outbox.list_by_state(OutboxState.DLQ, limit=limit)


def drain_dlq(
    uow: UnitOfWork,
    clock: Clock,
    *,
    limit: int = 1000,
    spacing: timedelta = timedelta(milliseconds=200),
    batch: int = 50,
    progress: Callable[[int, int], None] | None = None,
) -> list[OutboxMessage]:
    """Put dead messages back in the queue with a fresh budget of attempts, spaced out so
    that a drained DLQ does not hit the provider all at once; each then retries with the
    usual exponential backoff. Safe to run while relays run: a redriven message reads the
    provider's state before acting, so one that did take effect is not repeated."""
    drained: list[OutboxMessage] = []
    total = len(dlq_messages(uow, limit))
    now = clock.now()
    while len(drained) < total:
        with uow:
            dead = uow.outbox.list_by_state(OutboxState.DLQ, limit=min(batch, total - len(drained)))
            if not dead:
                break
            for message in dead:
                redriven = message.redrive(now + spacing * len(drained))
                uow.outbox.update(redriven)
                drained.append(redriven)
            uow.commit()
        if progress is not None:
            progress(len(drained), total)
    return drained


def resolve_dead_message(
    message_id: str, reason: str, principal: Principal, uow: UnitOfWork, clock: Clock
) -> OutboxMessage:
    """Close one dead message after a person decided what it needed (refunded by hand in the
    provider's dashboard, a duplicate, a booking settled otherwise): it leaves the DLQ for
    good, so "DLQ depth > 0" resolves, and the decision is in the admin audit
    (`principal_actions`, action `dlq_resolve`). Refuses an empty reason, an unknown id and a
    message that is not in the DLQ, changing nothing."""
    principal.require(Role.ADMIN)
    reason = audited_reason(reason, "say why the message needs nothing more (--reason)")
    now = clock.now()
    with uow:
        message = uow.outbox.get(message_id, for_update=True)
        if message is None:
            raise NotFound(f"no outbox message {message_id}")
        if message.state is not OutboxState.DLQ:
            raise IllegalTransition(f"message {message_id} is {message.state}, not in the DLQ")
        resolved = message.resolve(now, f"resolved by {principal.subject_id}: {reason}")
        uow.outbox.update(resolved)
        uow.principals.record(
            PrincipalAction(
                now, principal.subject_id, AdminAction.DLQ_RESOLVE, message_id, Role.ADMIN, reason
            )
        )
        uow.commit()
    return resolved
