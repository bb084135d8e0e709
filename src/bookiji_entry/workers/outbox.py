"""The outbox relay (`bkctl worker outbox`; in `bkctl serve`'s threads too), and, when the
profile's provider is the SimCity gateway, the worker that delivers its due webhooks to this
process's handler (`simcity-webhooks`, with the database's state, whichever process queued
them; each is taken by one deliverer).

A relay asked to stop (SIGTERM) finishes the message it is delivering and gives back the rest
of its batch unattempted, so another relay takes them at once instead of after the lease."""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta
from functools import partial
from typing import Any

import attrs

from bookiji_adapters.simcity import SimCityPaymentGateway
from bookiji_core.ports import Clock, PaymentGateway, Telemetry, UnitOfWorkFactory
from bookiji_core.usecases import OutboxRelay, RelayReport, RelaySettings
from bookiji_entry.http.webhooks import WebhookDeps, receive
from bookiji_entry.settings import Settings
from bookiji_entry.workers import Copy, Tick, Worker

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 0.5
MAX_ROUNDS_PER_TICK = 50


def relay_for(
    uow: UnitOfWorkFactory,
    gateway: PaymentGateway,
    clock: Clock,
    telemetry: Telemetry,
    owner: str | None = None,
    copy: Copy | None = None,
    lease: timedelta | None = None,
    batch: int | None = None,
    parallel: int | None = None,
) -> OutboxRelay:
    """A relay for `copy` (a worker's) or for a test or command, named `owner`; what is not
    given is RelaySettings' default."""
    relay = partial(OutboxRelay, uow(), gateway, clock, telemetry)
    given: dict[str, Any] = {"lease": lease, "batch": batch, "parallel": parallel}
    settings = attrs.evolve(RelaySettings(), **{k: v for k, v in given.items() if v is not None})
    if copy is not None:
        return relay(owner=copy.owner, stopping=copy.stop.is_set, settings=settings)
    return relay(owner=owner or f"{socket.gethostname()}:{os.getpid()}", settings=settings)


def tick(relay: OutboxRelay) -> RelayReport:
    report = relay.drain(max_rounds=MAX_ROUNDS_PER_TICK)
    if report.claimed:
        log.info(
            "outbox: %d claimed, %d committed, %d retried, %d to the DLQ, %d waiting",
            report.claimed,
            report.committed,
            report.retried,
            report.dead,
            report.waited,
        )
    return report


def build_relay(
    uow: UnitOfWorkFactory,
    gateway: PaymentGateway,
    clock: Clock,
    telemetry: Telemetry,
    settings: Settings,
    copy: Copy,
) -> Tick:
    relay = relay_for(
        uow,
        gateway,
        clock,
        telemetry,
        copy=copy,
        lease=settings.outbox_lease,
        batch=settings.outbox_batch,
        parallel=settings.outbox_parallel,
    )
    return lambda: tick(relay)


def build_simcity_webhooks(
    gateway: PaymentGateway, webhooks: WebhookDeps, copy: Copy
) -> Tick | None:
    if not isinstance(gateway, SimCityPaymentGateway):
        return None  # Stripe delivers its webhooks itself, to POST /api/webhooks/stripe
    if copy.index == 0:  # one handler per process, however many copies deliver
        gateway.subscribe(lambda payload, signature: receive(webhooks, payload, signature))
    return gateway.deliver_due


WORKERS = (
    Worker("outbox", INTERVAL_SECONDS, build_relay),
    Worker("simcity-webhooks", INTERVAL_SECONDS, build_simcity_webhooks),
)
