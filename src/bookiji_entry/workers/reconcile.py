"""The reconciliation loop (`bkctl worker reconcile`; in `bkctl serve`'s threads too): keeps the
double-charge figure that the page alert watches fresh without anyone running a command.

It only counts and stores; refunding duplicates stays a human decision (`bkctl ledger
reconcile --fix`, runbook double-charge). A pass reads the provider once per booking with
ledger entries, so at the pilot's scale every five minutes is far inside Stripe's rate limits.
"""

from __future__ import annotations

import logging
from functools import partial

from bookiji_core.ports import Clock, Ids, PaymentGateway, Telemetry, UnitOfWorkFactory
from bookiji_core.usecases.reconcile import ReconcileReport, reconcile
from bookiji_entry.workers import Tick, Worker

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 300.0


def tick(
    uow: UnitOfWorkFactory, gateway: PaymentGateway, clock: Clock, ids: Ids, telemetry: Telemetry
) -> ReconcileReport:
    report = reconcile(uow(), gateway, clock, ids, telemetry)
    if report.double_charges or report.mismatches:
        log.warning(
            "reconcile: %d bookings checked, %d double-charged, %d mismatches; "
            "see ops/runbooks (double charge) and `bkctl ledger reconcile`",
            report.bookings_checked,
            report.double_charges,
            len(report.mismatches),
        )
    return report


def build(
    uow: UnitOfWorkFactory, gateway: PaymentGateway, clock: Clock, ids: Ids, telemetry: Telemetry
) -> Tick:
    return partial(tick, uow, gateway, clock, ids, telemetry)


WORKERS = (Worker("reconcile", INTERVAL_SECONDS, build),)
