"""The shredder: erase the personal data of every person whose deletion was asked for."""

from __future__ import annotations

import logging
from functools import partial

from bookiji_core.ports import Clock, Telemetry, UnitOfWorkFactory
from bookiji_core.usecases.privacy import ShredReport, shred_due
from bookiji_entry.workers import Tick, Worker

log = logging.getLogger(__name__)
# Well inside the 60-second privacy SLO, and one cheap query per pass when nothing is due.
INTERVAL_SECONDS = 2.0


def tick(uow: UnitOfWorkFactory, clock: Clock, telemetry: Telemetry) -> ShredReport:
    report = shred_due(uow(), clock, telemetry)
    # Subject ids are pseudonymous; names, emails or phones never reach the log.
    if report.shredded:
        log.info("shredded %d subject(s): %s", len(report.shredded), ", ".join(report.shredded))
    if report.waiting:
        log.info(
            "%d subject(s) waiting (a card hold still to be placed, or a booking changed): %s",
            len(report.waiting),
            ", ".join(report.waiting),
        )
    return report


def build(uow: UnitOfWorkFactory, clock: Clock, telemetry: Telemetry) -> Tick:
    return partial(tick, uow, clock, telemetry)


WORKERS = (Worker("shredder", INTERVAL_SECONDS, build),)
