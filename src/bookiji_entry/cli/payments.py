"""Payments operations (runbook Incident-001): `bkctl outbox status|pause|resume`,
`bkctl dlq list|drain|resolve`, `bkctl ledger reconcile [--fix]`, each with `--json`."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from typing import Any

from bookiji_core.payments import OutboxMessage
from bookiji_core.ports import Clock, Ids, PaymentGateway, Telemetry, UnitOfWorkFactory
from bookiji_core.usecases import (
    OutboxStatus,
    dlq_messages,
    drain_dlq,
    outbox_status,
    reconcile,
    set_paused,
)
from bookiji_core.usecases.outbox_ops import resolve_dead_message
from bookiji_core.usecases.outbox_progress import OutboxProgress, follow_outbox
from bookiji_entry.cli._common import CliError, add_json, on_terminal, print_json
from bookiji_entry.cli._operator import add_operator, operator

POLL_SECONDS = 0.5


def register(commands: Any) -> None:
    outbox = commands.add_parser(
        "outbox",
        help="outbox status, pause and resume (the payment relay)",
        description=(
            "status: messages per state, DLQ depth, whether relays are paused. pause: every "
            "relay stops delivering (confirms still queue their holds). resume: they go on."
        ),
    )
    outbox.add_argument("action", choices=["status", "pause", "resume"])
    add_json(outbox)
    outbox.set_defaults(run=run_outbox)

    dlq = commands.add_parser(
        "dlq",
        help="list, drain or resolve the outbox dead-letter queue",
        description=(
            "list: the dead messages and their last errors. drain: put them back in the queue "
            "with a fresh budget of attempts, spaced out, then (with --wait) show the relay "
            "working through them; failures retry with exponential backoff. resolve ID "
            "--reason R: close one message after a person decided it needs nothing more "
            "(audited); it is never sent again."
        ),
    )
    dlq.add_argument("action", choices=["list", "drain", "resolve"])
    dlq.add_argument("id", nargs="?", help="resolve: the message id (from dlq list)")
    dlq.add_argument("--reason", default="", help="resolve: why, kept in the admin audit")
    add_operator(dlq)
    dlq.add_argument("--limit", type=int, default=100, help="at most this many (100)")
    dlq.add_argument(
        "--spacing",
        type=float,
        default=0.2,
        metavar="SECONDS",
        help="drain: delay between two requeued messages' first attempts (0.2)",
    )
    dlq.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="drain: then follow the requeued messages this long, printing progress (0)",
    )
    add_json(dlq)
    dlq.set_defaults(run=run_dlq)

    ledger = commands.add_parser(
        "ledger",
        help="reconcile the payments ledger with the payment provider",
        description=(
            "reconcile: compare every booking's ledger with the provider's intents and count "
            "double charges (more than one captured, unrefunded fee). --fix queues refunds of "
            "the extra fees through the outbox. Exit status 3 when double charges remain."
        ),
    )
    ledger.add_argument("action", choices=["reconcile"])
    ledger.add_argument("--fix", action="store_true", help="refund duplicates via the outbox")
    add_json(ledger)
    ledger.set_defaults(run=run_ledger)


def _status_json(status: OutboxStatus) -> dict[str, Any]:
    return {
        "paused": status.paused,
        "counts": {str(state): n for state, n in status.counts.items()},
        "dlq_depth": status.dlq_depth,
        "oldest_queued_at": status.oldest_queued_at.isoformat()
        if status.oldest_queued_at
        else None,
    }


def run_outbox(args: argparse.Namespace, unit_of_work: UnitOfWorkFactory, clock: Clock) -> int:
    if args.action == "status":
        status = outbox_status(unit_of_work())
    else:
        status = set_paused(unit_of_work(), clock, args.action == "pause")
    if args.json:
        print_json(_status_json(status))
        return 0
    counts = ", ".join(f"{state} {n}" for state, n in status.counts.items())
    print(f"outbox: {'PAUSED' if status.paused else 'running'}; {counts}")
    if status.oldest_queued_at:
        print(f"oldest queued message since {status.oldest_queued_at.isoformat()}")
    return 0


def _message_json(message: OutboxMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "booking_id": message.command.booking_id,
        "action": str(message.command.action),
        "idempotency_key": message.idempotency_key,
        "state": str(message.state),
        "attempts": message.attempts,
        "next_attempt_at": message.next_attempt_at.isoformat(),
        "last_error": message.last_error,
    }


def run_dlq(args: argparse.Namespace, unit_of_work: UnitOfWorkFactory, clock: Clock) -> int:
    if args.limit < 1 or args.spacing < 0 or args.wait < 0:
        raise CliError("--limit must be positive, --spacing and --wait not negative", 2)
    if args.action == "resolve":
        if not args.id:
            raise CliError("dlq resolve needs the message id: bkctl dlq resolve ID --reason R", 2)
        resolved = resolve_dead_message(args.id, args.reason, operator(args), unit_of_work(), clock)
        if args.json:
            print_json(_message_json(resolved))
        else:
            print(
                f"resolved {resolved.id} ({resolved.command.action} {resolved.command.booking_id})"
            )
        return 0
    if args.id:
        raise CliError(f"dlq {args.action} takes no message id", 2)
    if args.action == "list":
        dead = dlq_messages(unit_of_work(), args.limit)
        if args.json:
            print_json({"messages": [_message_json(m) for m in dead]})
        for m in [] if args.json else dead:
            action, booking = m.command.action, m.command.booking_id
            print(f"{m.id} {action} {booking} x{m.attempts}: {m.last_error}")
        return 0

    frames = not args.json and on_terminal()

    def progress(done: int, total: int) -> None:
        if frames:
            print(f"\rrequeued {done}/{total}", end="", file=sys.stderr, flush=True)

    drained = drain_dlq(
        unit_of_work(),
        clock,
        limit=args.limit,
        spacing=timedelta(seconds=args.spacing),
        progress=progress,
    )
    if drained and frames:
        print(file=sys.stderr)
    states = _follow(unit_of_work, [m.id for m in drained], args.wait, quiet=args.json)
    if args.json:
        print_json({"requeued": [m.id for m in drained], "states": states})
    else:
        print(f"requeued {len(drained)} message(s)")
    return 0


def _follow(
    unit_of_work: UnitOfWorkFactory, ids: list[str], wait: float, *, quiet: bool
) -> dict[str, str]:
    """Follow the requeued messages until they are all finished or `wait` runs out."""

    frames = not quiet and wait > 0 and on_terminal()

    def show(progress: OutboxProgress) -> None:
        if frames:
            done = len(ids) - len(progress.pending)
            line = f"\r{len(progress.committed)} committed, {done - len(progress.committed)} "
            print(f"{line}dead again, of {len(ids)}", end="", file=sys.stderr, flush=True)

    progress = follow_outbox(
        unit_of_work(),
        ids,
        until=time.monotonic() + wait,
        monotonic=time.monotonic,
        sleep=time.sleep,
        interval=POLL_SECONDS,
        on_progress=show,
    )
    if frames:
        print(file=sys.stderr)
    return {i: str(s) if s is not None else "gone" for i, s in progress.states.items()}


def run_ledger(
    args: argparse.Namespace,
    unit_of_work: UnitOfWorkFactory,
    gateway: PaymentGateway,
    clock: Clock,
    ids: Ids,
    telemetry: Telemetry,
) -> int:
    report = reconcile(unit_of_work(), gateway, clock, ids, telemetry, fix=args.fix)
    if args.json:
        print_json(
            {
                "bookings_checked": report.bookings_checked,
                "double_charges": report.double_charges,
                "double_charged": list(report.double_charged),
                "mismatches": [
                    {
                        "booking_id": m.booking_id,
                        "intent_id": m.intent_id,
                        "kind": str(m.kind),
                        "ledger_amount": m.ledger_amount,
                        "gateway_amount": m.gateway_amount,
                    }
                    for m in report.mismatches
                ],
                "refunds_queued": list(report.refunds_queued),
                "entries_added": report.entries_added,
            }
        )
    else:
        print(
            f"checked {report.bookings_checked} booking(s): {report.double_charges} double "
            f"charge(s), {len(report.mismatches)} ledger mismatch(es)"
        )
        for m in report.mismatches:
            print(
                f"  {m.booking_id} {m.intent_id} {m.kind}: ledger {m.ledger_amount}, "
                f"provider {m.gateway_amount}"
            )
        if args.fix:
            print(
                f"queued {len(report.refunds_queued)} refund(s), added "
                f"{report.entries_added} missing ledger entr(ies)"
            )
    remaining = report.double_charges - (len(report.refunds_queued) if args.fix else 0)
    return 3 if remaining > 0 else 0
