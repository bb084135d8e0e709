"""`bkctl privacy request|queue|fetch`: the privacy request queue (runbook Incident-003)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bookiji_core.ports import Clock, Ids, UnitOfWorkFactory
from bookiji_core.privacy_queue import (
    PRIORITIES,
    Backlog,
    PrivacyRequest,
    RequestKind,
    RequestState,
    priority_name,
    priority_of,
)
from bookiji_core.usecases.privacy_queue import enqueue_request, finished_request, privacy_backlog
from bookiji_core.usecases.privacy_records import iso
from bookiji_entry.cli._common import CliError, add_json, print_json, write_private
from bookiji_entry.cli._operator import add_operator, operator


def register_queue(actions: Any) -> None:
    request = actions.add_parser(
        "request",
        help="queue an export or a deletion for the privacy workers, by priority",
        description=(
            "Queue an export or a deletion; privacy workers (bkctl serve, or bkctl worker "
            "privacy) serve the queue in priority order, oldest first within a priority. A "
            "deletion takes effect at once (tombstone, logins revoked); its shredding is queued."
        ),
    )
    request.add_argument("kind", choices=[k.value for k in RequestKind])
    request.add_argument("--subject", required=True, help="a customer or vendor id, e.g. cus_01")
    request.add_argument("--priority", default="normal", choices=list(PRIORITIES))
    request.add_argument("--reason", default="privacy request", help="why (ticket number)")
    add_operator(request)
    add_json(request)
    request.set_defaults(run=run_request)

    queue = actions.add_parser(
        "queue",
        help="the open export and delete requests in serving order, and the oldest one's age",
    )
    add_json(queue)
    queue.set_defaults(run=run_queue)

    fetch = actions.add_parser("fetch", help="write a finished export to a file (mode 0600)")
    fetch.add_argument("--request", required=True, help="the request id, prq_...")
    fetch.add_argument("--out", type=Path, required=True, help="the file to write")
    add_operator(fetch)
    fetch.set_defaults(run=run_fetch)


def as_json(r: PrivacyRequest, now: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "kind": r.kind.value,
        "subject_id": r.subject_id,
        "priority": priority_name(r.priority),
        "state": r.state.value,
        "requested_at": iso(r.requested_at),
        "requested_by": r.requested_by,
        "age_seconds": round((now - r.requested_at).total_seconds(), 3),
        "attempts": r.attempts,
        "finished_at": iso(r.finished_at),
        "error": r.error,
    }


def run_request(args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock, ids: Ids) -> int:
    kind = RequestKind(args.kind)
    queued = enqueue_request(
        kind,
        args.subject,
        operator(args),
        priority_of(args.priority),
        args.reason,
        uow(),
        clock,
        ids,
    )
    if args.json:
        print_json(as_json(queued, clock.now()))
        return 0
    print(f"{queued.id}: {queued.kind} of {queued.subject_id}, {priority_name(queued.priority)}")
    print("  served by the privacy workers; see it with: bkctl privacy queue")
    return 0


def backlog_json(backlog: Backlog) -> dict[str, Any]:
    return {
        "open": backlog.count(),
        "by_kind": {k.value: backlog.count(k) for k in RequestKind},
        "oldest_age_seconds": round(backlog.oldest_age(), 3),
        "requests": [as_json(r, backlog.now) for r in backlog.requests],
    }


def run_queue(args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock) -> int:
    backlog = privacy_backlog(uow(), clock)
    if args.json:
        print_json(backlog_json(backlog))
        return 0
    counts = ", ".join(f"{backlog.count(k)} {k}" for k in RequestKind)
    print(f"{backlog.count()} open ({counts}); oldest {backlog.oldest_age():.0f} s")
    for r in backlog.requests:
        age = (backlog.now - r.requested_at).total_seconds()
        print(
            f"  {r.id}  {priority_name(r.priority):6}  {r.kind:6}  {r.subject_id:16}  "
            f"{r.state:7}  {age:6.0f} s  attempts {r.attempts}"
        )
    return 0


def run_fetch(args: argparse.Namespace, uow: UnitOfWorkFactory) -> int:
    found = finished_request(args.request, operator(args), uow())
    if found.kind is not RequestKind.EXPORT:
        raise CliError(f"{found.id} is a {found.kind} request; only exports have a result", 2)
    if found.state is not RequestState.DONE or found.result is None:
        raise CliError(f"{found.id} is {found.state}, not done: no export to fetch yet", 1)
    write_private(args.out, found.result + "\n")
    print(f"wrote the export of {found.subject_id} ({found.id}) to {args.out}")
    return 0
