"""Follow outbox messages until the relay has finished them (committed or dead) or time is up."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import attrs

from bookiji_core.payments import FINISHED_STATES, OutboxState
from bookiji_core.ports import UnitOfWork


@attrs.frozen
class OutboxProgress:
    """Where each followed message stands; None: it is not in the outbox (any more)."""

    states: Mapping[str, OutboxState | None]

    @property
    def pending(self) -> tuple[str, ...]:
        # A message that is not in the outbox is not finished either (OutboxMessage.finished).
        return tuple(i for i, s in self.states.items() if s not in FINISHED_STATES)

    @property
    def committed(self) -> tuple[str, ...]:
        return tuple(i for i, s in self.states.items() if s is OutboxState.COMMITTED)

    @property
    def dead(self) -> tuple[str, ...]:
        return tuple(i for i, s in self.states.items() if s is OutboxState.DLQ)

    @property
    def finished(self) -> bool:
        return not self.pending


def outbox_progress(uow: UnitOfWork, message_ids: Iterable[str]) -> OutboxProgress:
    """One look at the messages, in one transaction."""
    with uow:
        states: dict[str, OutboxState | None] = {}
        for message_id in message_ids:
            message = uow.outbox.get(message_id)
            states[message_id] = message.state if message is not None else None
    return OutboxProgress(states)


def follow_outbox(
    uow: UnitOfWork,
    message_ids: Iterable[str],
    *,
    until: float,
    monotonic: Callable[[], float],
    sleep: Callable[[float], None],
    interval: float = 0.25,
    on_progress: Callable[[OutboxProgress], None] | None = None,
) -> OutboxProgress:
    """Look again every `interval` seconds until every message is finished or the monotonic
    clock passes `until`; the last look is returned. The relay does the work: this only reads."""
    ids = list(message_ids)
    while True:
        progress = outbox_progress(uow, ids)
        if on_progress is not None:
            on_progress(progress)
        if progress.finished or monotonic() >= until:
            return progress
        sleep(interval)
