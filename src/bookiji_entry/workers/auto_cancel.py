"""Auto-cancel: release the hold of every booking whose vendor missed the deadline T."""

from __future__ import annotations

import logging
from functools import partial

from bookiji_core.ports import Clock, Ids, UnitOfWorkFactory
from bookiji_core.usecases import auto_cancel_due
from bookiji_entry.workers import Loop

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 5.0


def tick(uow: UnitOfWorkFactory, clock: Clock, ids: Ids) -> int:
    cancelled = auto_cancel_due(uow(), clock, ids)
    if cancelled:
        log.info("auto-cancelled %d booking(s): %s", len(cancelled), ", ".join(cancelled))
    return len(cancelled)


def loops(uow: UnitOfWorkFactory, clock: Clock, ids: Ids) -> list[Loop]:
    return [Loop("auto-cancel", INTERVAL_SECONDS, partial(tick, uow, clock, ids))]
