"""Auto-cancel: release the hold of every booking whose vendor missed the deadline T."""

from __future__ import annotations

import logging

from bookiji_core.usecases import auto_cancel_due
from bookiji_entry.bootstrap import Services
from bookiji_entry.workers import Loop

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 5.0


def tick(services: Services) -> int:
    cancelled = auto_cancel_due(services.uow(), services.clock, services.ids)
    if cancelled:
        log.info("auto-cancelled %d booking(s): %s", len(cancelled), ", ".join(cancelled))
    return len(cancelled)


def loops(services: Services) -> list[Loop]:
    return [Loop("auto-cancel", INTERVAL_SECONDS, lambda: tick(services))]
