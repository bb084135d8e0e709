"""`bkctl audit verify`: walk the history hash chains and name the first row that breaks each."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bookiji_core.ports import Telemetry
from bookiji_entry.bootstrap import Database
from bookiji_entry.settings import Settings

# Exit status when a chain is broken: a check that failed (docs/cli.md).
BROKEN = 1


def register(commands: Any) -> None:
    audit = commands.add_parser(
        "audit", help="tamper-evident history", description="The history tables' hash chains."
    )
    actions = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = actions.add_parser(
        "verify",
        help="check every history hash chain",
        description=(
            "Walk the hash chains of the access log, the admins' audit, the booking audit and "
            "the ledger, and name the first row edited, inserted, deleted or truncated away in "
            f"each. Exit {BROKEN} if one is broken. See docs/security.md."
        ),
    )
    verify.add_argument("--json", action="store_true", help="one JSON object per chain")
    verify.set_defaults(run=run_verify)


def run_verify(
    args: argparse.Namespace, settings: Settings, database: Database, telemetry: Telemetry
) -> int:
    if settings.is_memory:
        print("memory:// keeps no history on disk: nothing to verify")
        return 0
    reports = database.verify_history()
    for report in reports:
        telemetry.history_chain(report.chain, report.rows, report.intact)
        if args.json:
            print(
                json.dumps(
                    {
                        "chain": report.chain,
                        "rows": report.rows,
                        "intact": report.intact,
                        "problem": report.problem,
                        "row_id": report.row_id,
                    }
                )
            )
        else:
            print(report.describe())
    return 0 if all(r.intact for r in reports) else BROKEN
