"""Auto-cancel: release the hold of every booking whose vendor missed the deadline T."""

from __future__ import annotations

import logging
from functools import partial

from bookiji_core.ports import Clock, Ids, UnitOfWorkFactory
from bookiji_core.usecases import auto_cancel_due
from bookiji_entry.workers import Tick, Worker

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 5.0


def tick(uow: UnitOfWorkFactory, clock: Clock, ids: Ids) -> int:
    cancelled = auto_cancel_due(uow(), clock, ids)
    if cancelled:
        log.info("auto-cancelled %d booking(s): %s", len(cancelled), ", ".join(cancelled))
    return len(cancelled)


def build(uow: UnitOfWorkFactory, clock: Clock, ids: Ids) -> Tick:
    return partial(tick, uow, clock, ids)


WORKERS = (Worker("auto-cancel", INTERVAL_SECONDS, build),)
