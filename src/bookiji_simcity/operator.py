"""The operator's runbook commands in a run: a rollback drill, the DLQ drain, reconciliation."""

from __future__ import annotations

from collections.abc import Callable

from bookiji_adapters.simcity import SimCityPaymentGateway
from bookiji_core.access import Principal, Role
from bookiji_core.errors import DomainError
from bookiji_core.ports import Clock, Ids, Telemetry, UnitOfWorkFactory
from bookiji_core.usecases import drain_dlq, reconcile, set_paused
from bookiji_core.usecases.rollback import roll_back_booking
from bookiji_core.values import BookingId
from bookiji_simcity.plan import Operator

OPERATOR = Principal(Role.ADMIN, "simcity:operator")

Log = Callable[[str, str], None]


def operate(
    op: Operator,
    bookings: list[BookingId],
    make_uow: UnitOfWorkFactory,
    clock: Clock,
    ids: Ids,
    log: Log,
) -> None:
    """An operator's runbook command; only rollback for now (runbook rollback.md)."""
    if op.name != "rollback" or op.booking is None or op.booking >= len(bookings):
        log("operator", f"{op.name}: nothing to do")
        return
    target = bookings[op.booking]
    try:
        result = roll_back_booking(target, OPERATOR, "simcity drill", make_uow(), clock, ids)
    except DomainError as refusal:
        log("operator", f"rollback {target} refused: {refusal.code}")
        return
    log("operator", f"rolled back {target}: now {result.booking.state}")


def runbook_drain(make_uow: UnitOfWorkFactory, clock: Clock, log: Log) -> None:
    """Runbook Incident-001: pause the relay, drain the DLQ, resume."""
    set_paused(make_uow(), clock, True)
    drained = drain_dlq(make_uow(), clock)
    set_paused(make_uow(), clock, False)
    log("operator", f"runbook Incident-001: paused, drained {len(drained)} from the DLQ, resumed")


def reconciled(
    make_uow: UnitOfWorkFactory,
    provider: SimCityPaymentGateway,
    clock: Clock,
    ids: Ids,
    telemetry: Telemetry,
    log: Log,
) -> list[str]:
    """Reconcile the ledger with the provider; a double charge is a violation."""
    report = reconcile(make_uow(), provider, clock, ids, telemetry)
    log(
        "reconcile",
        f"{report.bookings_checked} bookings, {report.double_charges} double charges, "
        f"{len(report.mismatches)} mismatches",
    )
    if report.double_charges:
        return [f"reconciliation counts {report.double_charges} double charges"]
    return []
