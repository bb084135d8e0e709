"""The privacy worker: serve the queue of export and delete requests in priority order."""

from __future__ import annotations

import logging
from functools import partial

from bookiji_core.ports import Clock, Telemetry, UnitOfWorkFactory
from bookiji_core.privacy_queue import PrivacyRequest
from bookiji_core.usecases.privacy_queue import serve_next
from bookiji_entry.workers import Copy, Tick, Worker

log = logging.getLogger(__name__)
# An idle pass is one cheap query; a busy pass serves requests until the queue is empty.
INTERVAL_SECONDS = 1.0
MAX_PER_PASS = 100


def tick(
    uow: UnitOfWorkFactory, clock: Clock, telemetry: Telemetry, copy: Copy
) -> list[PrivacyRequest]:
    served: list[PrivacyRequest] = []
    while len(served) < MAX_PER_PASS and not copy.stop.is_set():
        request = serve_next(uow(), clock, telemetry, copy.owner)
        if request is None:
            break
        served.append(request)
        # Subject ids are pseudonymous; no personal data reaches the log.
        log.info("%s %s of %s: %s", request.id, request.kind, request.subject_id, request.state)
        if request.open:  # released (a deletion waiting for a card hold): try it next pass
            break
    return served


def build(uow: UnitOfWorkFactory, clock: Clock, telemetry: Telemetry, copy: Copy) -> Tick:
    return partial(tick, uow, clock, telemetry, copy)


WORKERS = (Worker("privacy", INTERVAL_SECONDS, build),)
