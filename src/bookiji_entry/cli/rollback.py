"""`bkctl rollback --booking ID`: revert a booking, undo its card side, and wait for it."""

from __future__ import annotations

import argparse
import time
from typing import Any

from bookiji_core.payments import OutboxState
from bookiji_core.ports import Clock, Ids, Telemetry, UnitOfWorkFactory
from bookiji_core.usecases.outbox_progress import OutboxProgress, follow_outbox
from bookiji_core.usecases.rollback import roll_back_booking
from bookiji_entry import render
from bookiji_entry.cli._common import CliError, add_json, print_json
from bookiji_entry.cli._operator import add_operator, operator

POLL_SECONDS = 0.1  # a query of the few messages it queued; the relay ticks every 0.5 s


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "rollback",
        help="roll back one booking (refund or release, state reversion, audit)",
        description=(
            "Cancel (or mark refunded) one booking, queue the release or refund of its $1 "
            "through the outbox, append the audit, then wait until the payment provider has "
            "done it. Safe to run twice. Admin-only; needs the ops.force_cancel flag on."
        ),
    )
    parser.add_argument("--booking", required=True, help="the booking id, e.g. bk_...")
    parser.add_argument("--reason", default="operator rollback", help="kept in the audit trail")
    parser.add_argument(
        "--wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long to wait for the relay to carry the refund or release (60; 0: don't)",
    )
    add_operator(parser)
    add_json(parser)
    parser.set_defaults(run=run)


def run(
    args: argparse.Namespace,
    unit_of_work: UnitOfWorkFactory,
    clock: Clock,
    ids: Ids,
    telemetry: Telemetry,
) -> int:
    if args.wait < 0:
        raise CliError("--wait must be 0 or more seconds", 2)
    started = time.monotonic()
    result = roll_back_booking(
        args.booking, operator(args), args.reason, unit_of_work(), clock, ids
    )
    message_ids = [m.id for m in result.payment_messages]
    progress = OutboxProgress({m.id: m.state for m in result.payment_messages})
    if message_ids and args.wait > 0:
        progress = follow_outbox(
            unit_of_work(),
            message_ids,
            until=started + args.wait,
            monotonic=time.monotonic,
            sleep=time.sleep,
            interval=POLL_SECONDS,
        )
    elapsed = time.monotonic() - started
    telemetry.rollback(elapsed)  # bookiji_rollback_duration_seconds
    # Show where the booking ended up once the relay carried the payment, not before.
    with unit_of_work() as uow:
        booking = uow.bookings.get(result.booking.id) or result.booking
    messages = [
        {"id": m.id, "action": m.command.action.value, "state": _state(progress.states[m.id])}
        for m in result.payment_messages
    ]
    if args.json:
        print_json(
            {
                "booking": render.booking(booking),
                "payment_messages": messages,
                "seconds": round(elapsed, 3),
            }
        )
    else:
        print(f"booking {booking.id}: {booking.state} (payment {booking.payment_status})")
        for m in messages:
            print(f"  {m['action']} {m['id']}: {m['state']}")
        if not messages:
            print("  nothing to undo at the payment provider (already rolled back or settled)")
        print(f"  took {elapsed:.2f} s")
    if progress.dead:
        raise CliError(
            f"the refund/release went to the DLQ ({', '.join(progress.dead)}): see runbook "
            "Incident-001, `bkctl dlq list`",
            1,
        )
    if progress.pending and args.wait > 0:
        raise CliError(
            f"the relay did not carry it within {args.wait:g} s: is a relay running? "
            "(`bkctl outbox status`); the rollback itself is committed",
            1,
        )
    return 0


def _state(state: OutboxState | None) -> str:
    return state.value if state is not None else "gone"
