"""`bkctl privacy export|delete|status`: how a privacy officer answers a person's request."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from bookiji_core.ports import Clock, Telemetry, UnitOfWorkFactory
from bookiji_core.privacy import Tombstone
from bookiji_core.usecases.privacy import (
    SubjectStatus,
    export_subject,
    pending_deletions,
    privacy_status,
    request_deletion,
)
from bookiji_core.usecases.privacy_records import iso
from bookiji_entry.cli._common import CliError, add_json, open_private, print_json
from bookiji_entry.cli._operator import add_operator, operator
from bookiji_entry.cli._privacy_queue import register_queue
from bookiji_entry.http.privacy import render_status
from bookiji_entry.shapes import codec

POLL_SECONDS = 0.25


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "privacy",
        help="export or delete a person's data (privacy officer)",
        description=(
            "Answer a person's privacy request: export everything about them, delete them "
            "(tombstone now, the shredder erases their data), or see where a deletion stands. "
            "Every export and deletion is access-logged under your name (--as)."
        ),
    )
    actions = parser.add_subparsers(dest="privacy_command", metavar="ACTION", required=True)

    export = actions.add_parser(
        "export", help="every record about a person, as JSON", description="Export a person."
    )
    _subject(export)
    export.add_argument(
        "--out", type=Path, help="write the JSON to this file (mode 0600) instead of stdout"
    )
    add_operator(export)
    export.set_defaults(run=run_export)

    delete = actions.add_parser(
        "delete",
        help="delete a person: tombstone now, shred in the background",
        description=(
            "Tombstone the person at once (logins revoked, a vendor no longer quoted); the "
            "shredder (bkctl serve, or bkctl worker shredder) then erases their data."
        ),
    )
    _subject(delete)
    delete.add_argument("--reason", required=True, help="why, for the tombstone and the audit")
    delete.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for the shredder to finish (0: don't wait)",
    )
    add_operator(delete)
    add_json(delete)
    delete.set_defaults(run=run_delete)

    status = actions.add_parser(
        "status",
        help="where a deletion stands; without --subject, the shredder's backlog",
        description="A person's deletion status, or the pending deletions oldest first.",
    )
    status.add_argument("--subject", help="a customer or vendor id")
    add_operator(status)
    add_json(status)
    status.set_defaults(run=run_status)
    register_queue(actions)


def _subject(parser: Any) -> None:
    parser.add_argument("--subject", required=True, help="a customer or vendor id, e.g. cus_01")


def run_export(
    args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock, telemetry: Telemetry
) -> int:
    started = time.monotonic()
    export = export_subject(args.subject, operator(args), uow(), clock, telemetry)
    # Logged and committed first; then written a section (a chunk of bookings) at a time, by
    # msgspec: json.dumps took longer than reading the 10,000 bookings of a frequent customer.
    if args.out is None:
        sys.stdout.flush()
        codec.write_pretty(sys.stdout.buffer, export)
        sys.stdout.buffer.flush()
        return 0
    with open_private(args.out) as out:
        codec.write_pretty(out, export)
    elapsed = time.monotonic() - started
    counts = ", ".join(
        f"{len(export[k])} {k.replace('_', ' ')}" for k in ("quotes", "bookings", "access_log")
    )
    print(f"exported {args.subject} ({export['subject']['kind']}) to {args.out}: {counts}")
    print(f"  took {elapsed:.2f} s; access-logged as privacy.export by {export['exported_by']}")
    return 0


def run_delete(args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock) -> int:
    if args.wait < 0:
        raise CliError("--wait must be 0 or more seconds", 2)
    started = time.monotonic()
    who = operator(args)
    tombstone = request_deletion(args.subject, who, args.reason, uow(), clock)
    deadline = started + args.wait
    while tombstone.pending and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        tombstone = privacy_status(args.subject, who, uow()).tombstone or tombstone
    status = SubjectStatus(args.subject, tombstone.subject_kind, tombstone)
    if args.json:
        print_json(render_status(status))
    else:
        _print_status(status)
        if tombstone.pending:
            print("  the shredder erases the data next (bkctl privacy status --subject ...)")
    if tombstone.pending and args.wait > 0:
        raise CliError(
            f"not shredded within {args.wait:g} s: is a shredder running? (bkctl serve, or "
            "bkctl worker shredder; runbook Incident-003). The deletion itself is recorded",
            1,
        )
    return 0


def run_status(args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock) -> int:
    if args.subject is None:
        backlog = pending_deletions(uow())
        now = clock.now()
    else:
        status = privacy_status(args.subject, operator(args), uow())
    if args.subject is not None:
        if args.json:
            print_json(render_status(status))
        else:
            _print_status(status)
        return 0
    if args.json:
        print_json({"pending": [_tombstone_json(t, now) for t in backlog]})
        return 0
    if not backlog:
        print("no deletions pending")
    for t in backlog:
        age = (now - t.requested_at).total_seconds()
        asked = iso(t.requested_at)
        print(f"{t.subject_id} ({t.subject_kind}): pending for {age:.0f} s, asked {asked}")
    return 0


def _tombstone_json(t: Tombstone, now: Any) -> dict[str, Any]:
    return {
        "subject_id": t.subject_id,
        "subject_kind": t.subject_kind.value,
        "requested_at": iso(t.requested_at),
        "age_seconds": round((now - t.requested_at).total_seconds(), 3),
    }


def _print_status(status: SubjectStatus) -> None:
    t = status.tombstone
    print(f"subject {status.subject_id} ({status.kind})", end=": ")
    if t is None:
        print("no deletion asked for")
        return
    print(f"deletion {t.state}")
    print(f"  asked {iso(t.requested_at)} by {t.requested_by}: {t.reason}")
    if t.shredded_at is not None:
        took = (t.shredded_at - t.requested_at).total_seconds()
        print(f"  shredded {iso(t.shredded_at)} ({took:.1f} s after the request)")
