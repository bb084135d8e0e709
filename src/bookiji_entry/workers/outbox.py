"""The outbox relay loop (`bkctl worker outbox`; in `bkctl serve`'s threads too), and, when the
profile's provider is the SimCity gateway, the loop that delivers its due webhooks to this
process's handler (with the database's state, whichever process queued them; each is taken by
one deliverer)."""

from __future__ import annotations

import logging
import os
import socket

from bookiji_adapters.simcity import SimCityPaymentGateway
from bookiji_core.ports import Clock, PaymentGateway, Telemetry, UnitOfWorkFactory
from bookiji_core.usecases import OutboxRelay, RelayReport
from bookiji_entry.http.webhooks import WebhookDeps, receive
from bookiji_entry.workers import Loop

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 0.5
MAX_ROUNDS_PER_TICK = 50


def relay_for(
    uow: UnitOfWorkFactory,
    gateway: PaymentGateway,
    clock: Clock,
    telemetry: Telemetry,
    owner: str | None = None,
) -> OutboxRelay:
    return OutboxRelay(
        uow(), gateway, clock, telemetry, owner=owner or f"{socket.gethostname()}:{os.getpid()}"
    )


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


def loops(
    uow: UnitOfWorkFactory,
    gateway: PaymentGateway,
    clock: Clock,
    telemetry: Telemetry,
    webhooks: WebhookDeps,
) -> list[Loop]:
    relay = relay_for(uow, gateway, clock, telemetry)
    found = [Loop("outbox", INTERVAL_SECONDS, lambda: tick(relay))]
    if isinstance(gateway, SimCityPaymentGateway):
        gateway.subscribe(lambda payload, signature: receive(webhooks, payload, signature))
        found.append(Loop("simcity-webhooks", INTERVAL_SECONDS, gateway.deliver_due))
    return found
