"""The shredder: erase the personal data of every person whose deletion was asked for."""

from __future__ import annotations

import logging

from bookiji_core.usecases.privacy import ShredReport, shred_due
from bookiji_entry.bootstrap import Services
from bookiji_entry.workers import Loop

log = logging.getLogger(__name__)
# Well inside the 60-second privacy SLO, and one cheap query per pass when nothing is due.
INTERVAL_SECONDS = 2.0


def tick(services: Services) -> ShredReport:
    report = shred_due(services.uow(), services.clock, services.telemetry)
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


def loops(services: Services) -> list[Loop]:
    return [Loop("shredder", INTERVAL_SECONDS, lambda: tick(services))]
