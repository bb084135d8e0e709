"""`bkctl notify late-vendors`: remind vendors of the bookings waiting for them (Incident-002);
`bkctl notify dead|redrive`: the notifications' dead-letter queue (runbook notification-dlq)."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from bookiji_core.notifications import Notification
from bookiji_core.ports import Clock, UnitOfWorkFactory
from bookiji_core.usecases.notification_ops import dead_notifications, redrive_notifications
from bookiji_core.usecases.remind import remind_late_vendors
from bookiji_entry.cli._common import CliError, add_json, print_json
from bookiji_entry.cli._operator import add_operator, operator


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "notify",
        help="late vendors reminded; the notifications' dead-letter queue",
    )
    actions = parser.add_subparsers(dest="notify_command", metavar="ACTION", required=True)
    late = actions.add_parser(
        "late-vendors",
        help="remind the vendors of bookings waiting for their confirmation",
        description=(
            "Queue one reminder (email or webhook, as each vendor chose) to the vendor of every "
            "booking still waiting for them whose deadline is less than --within minutes away; "
            "the notification worker delivers them. Once per booking: a rerun adds nothing."
        ),
    )
    late.add_argument(
        "--within", type=float, default=10.0, metavar="MINUTES", help="deadline closer than (10)"
    )
    add_operator(late)
    add_json(late)
    late.set_defaults(run=run_late)
    dead = actions.add_parser(
        "dead",
        help="list the notifications that could not be delivered (their DLQ)",
        description=(
            "The notifications whose every attempt failed, oldest first: id, kind, booking, "
            "channel, recipient (a principal id, never the address), attempts, last error."
        ),
    )
    dead.add_argument("--limit", type=int, default=100, help="at most this many (100)")
    add_operator(dead)
    add_json(dead)
    dead.set_defaults(run=run_dead)
    redrive = actions.add_parser(
        "redrive",
        help="send the dead notifications again, after fixing their cause",
        description=(
            "Queue the notifications of the DLQ again with a fresh budget of attempts (the "
            "notification worker sends them on its next tick); each is recorded in the admin "
            "audit with --reason."
        ),
    )
    redrive.add_argument("--reason", default="", help="what was fixed, kept in the admin audit")
    redrive.add_argument("--limit", type=int, default=100, help="at most this many (100)")
    add_operator(redrive)
    add_json(redrive)
    redrive.set_defaults(run=run_redrive)


def _shown(n: Notification) -> dict[str, Any]:
    return {
        "id": n.id,
        "kind": n.kind.value,
        "booking_id": n.booking_id,
        "channel": n.recipient.channel.value,
        "principal_id": n.recipient.principal_id,
        "attempts": n.attempts,
        "last_error": n.last_error,
        "created_at": n.created_at.isoformat(),
        "finished_at": n.finished_at.isoformat() if n.finished_at else None,
    }


def run_dead(args: argparse.Namespace, uow: UnitOfWorkFactory) -> int:
    found = dead_notifications(operator(args), uow(), args.limit)
    if args.json:
        print_json({"dead": [_shown(n) for n in found]})
        return 0
    print(f"{len(found)} notification(s) in the DLQ")
    for n in found:
        print(
            f"  {n.id}  {n.kind.value} for {n.booking_id} by {n.recipient.channel.value} to "
            f"{n.recipient.principal_id}: {n.attempts} attempt(s), last error: {n.last_error}"
        )
    return 0


def run_redrive(args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock) -> int:
    sent_again = redrive_notifications(operator(args), args.reason, uow(), clock, args.limit)
    if args.json:
        print_json({"redriven": [n.id for n in sent_again]})
        return 0
    print(f"{len(sent_again)} notification(s) queued again; the notification worker sends them")
    for n in sent_again:
        print(f"  {n.id}  {n.kind.value} for {n.booking_id}")
    return 0


def run_late(args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock) -> int:
    if not 0 < args.within <= 24 * 60:
        raise CliError("--within must be more than 0 and at most 1440 minutes", 2)
    found = remind_late_vendors(operator(args), uow(), clock, timedelta(minutes=args.within))
    if args.json:
        print_json(
            {
                "reminded": [
                    {"booking_id": r.booking_id, "vendor_id": r.vendor_id, "queued": r.queued}
                    for r in found
                ]
            }
        )
        return 0
    vendors = sorted({r.vendor_id for r in found if r.queued})
    queued = sum(r.queued for r in found)
    print(
        f"{len(found)} booking(s) waiting; {queued} reminder(s) queued to {len(vendors)} vendor(s)"
    )
    for r in found:
        note = f"{r.queued} queued" if r.queued else "reminded before, or no channel"
        print(f"  {r.booking_id}  vendor {r.vendor_id}: {note}")
    return 0
