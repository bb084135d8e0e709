"""A run's virtual time: the 0.25 s grid, the moves due on it, and when each worker has work."""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable
from datetime import datetime, timedelta

import attrs

from bookiji_adapters.simcity import SimCityPaymentGateway
from bookiji_core.notifications import NotificationState
from bookiji_core.payments import OutboxState
from bookiji_core.ports import Clock, UnitOfWorkFactory
from bookiji_core.usecases.outbox_ops import is_paused
from bookiji_simcity.invariants import EVERYTHING
from bookiji_simcity.plan import START

TICK = 0.25
HORIZON = timedelta(hours=8)
MAX_STEPS = 20_000
INTERVALS = {"relay": 0.5, "webhooks": 0.25, "auto-cancel": 1.0, "notifications": 0.5}


def on_grid(moment: datetime) -> datetime:
    """The first grid instant at or after `moment`."""
    ticks = math.ceil(round((moment - START).total_seconds() / TICK, 6))
    return START + timedelta(seconds=ticks * TICK)


def worker_wakes(
    make_uow: UnitOfWorkFactory, provider: SimCityPaymentGateway
) -> dict[str, datetime | None]:
    """When each worker next has something to do (None: nothing)."""
    relay: list[datetime] = []
    with make_uow() as uow:
        if not is_paused(uow):  # a paused relay sleeps until resumed
            queued = uow.outbox.list_by_state(OutboxState.QUEUED, EVERYTHING)
            flying = uow.outbox.list_by_state(OutboxState.IN_FLIGHT, EVERYTHING)
            relay += [m.next_attempt_at for m in queued]
            relay += [m.lease_until for m in flying if m.lease_until is not None]
        due = uow.bookings.due_for_auto_cancel(START + HORIZON * 100, 1)
        first = uow.bookings.get(due[0]) if due else None
        waiting = uow.notifications.list_by_state(NotificationState.QUEUED, EVERYTHING)
        sending = uow.notifications.list_by_state(NotificationState.IN_FLIGHT, EVERYTHING)
    told = [n.next_attempt_at for n in waiting]
    told += [n.lease_until for n in sending if n.lease_until is not None]
    return {
        "relay": min(relay, default=None),
        "notifications": min(told, default=None),
        "webhooks": min((p.due_at for p in provider.pending), default=None),
        "auto-cancel": first.hold_expires_at if first is not None else None,
    }


@attrs.frozen(order=True)
class _Event:
    at: datetime
    seq: int
    name: str = attrs.field(order=False)
    action: Callable[[], object] = attrs.field(order=False, repr=False)


class Timeline:
    """The moves due in a run, on the grid, and when each worker last ran (traffic's
    Scheduler). Same-instant moves keep the order they were scheduled in."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._heap: list[_Event] = []
        self._seq = itertools.count()
        self._next_run: dict[str, datetime] = {}

    def after(self, seconds: float, name: str, action: Callable[[], object]) -> None:
        self._push(on_grid(self._clock.now() + timedelta(seconds=seconds)), name, action)

    def at(self, seconds: float, name: str, action: Callable[[], object]) -> None:
        self._push(on_grid(START + timedelta(seconds=seconds)), name, action)

    def _push(self, at: datetime, name: str, action: Callable[[], object]) -> None:
        heapq.heappush(self._heap, _Event(at, next(self._seq), name, action))

    def take_due(self, now: datetime) -> list[tuple[str, Callable[[], object]]]:
        due: list[tuple[str, Callable[[], object]]] = []
        while self._heap and self._heap[0].at <= now:
            event = heapq.heappop(self._heap)
            due.append((event.name, event.action))
        return due

    def workers_due(self, now: datetime, wakes: dict[str, datetime | None]) -> list[str]:
        """The workers with work due now and past their interval; each is marked as run."""
        due = [
            name
            for name, wake in wakes.items()
            if wake is not None and wake <= now and self._next_run.get(name, START) <= now
        ]
        for name in due:
            self._next_run[name] = now + timedelta(seconds=INTERVALS[name])
        return due

    def next_wake(self, wakes: dict[str, datetime | None]) -> datetime | None:
        candidates = [self._heap[0].at] if self._heap else []
        for name, wake in wakes.items():
            if wake is not None:
                candidates.append(max(wake, self._next_run.get(name, START)))
        if not candidates:
            return None
        return on_grid(max(min(candidates), self._clock.now()))
