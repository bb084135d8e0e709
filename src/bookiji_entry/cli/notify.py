"""`bkctl notify late-vendors`: remind vendors of the bookings waiting for them (Incident-002)."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from bookiji_core.ports import Clock, UnitOfWorkFactory
from bookiji_core.usecases.remind import remind_late_vendors
from bookiji_entry.cli._common import CliError, add_json, print_json
from bookiji_entry.cli._operator import add_operator, operator


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "notify", help="tell people something now (runbook Incident-002: late vendors)"
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
