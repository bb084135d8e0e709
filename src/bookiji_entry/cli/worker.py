"""`bkctl worker NAME|all [--concurrency N]`: run background workers in this process
(production's layout, docs/processes.md), and `bkctl worker status`: their heartbeats.

The workers are the ones registered in `bookiji_entry.workers` (a worker added there is one
here too); only those named are built. Start several processes of one worker to scale: they
coordinate through row locks. SIGTERM or SIGINT drains: each copy finishes the unit of work it
is in, the relay gives back the messages it claimed but had not started, the heartbeat rows
are removed, and the process exits 0.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from datetime import timedelta
from types import FrameType
from typing import Any

from bookiji_core.ports import Clock
from bookiji_entry import workers
from bookiji_entry.bootstrap import Services, loops
from bookiji_entry.cli._common import CliError, Wiring, add_json, print_json
from bookiji_entry.heartbeats import STALE_AFTER, HeartbeatWriter, read_health
from bookiji_entry.parts import Database
from bookiji_entry.workers import Background

log = logging.getLogger("bookiji.worker")
# How long a stopping worker waits for its copies to finish what they hold (the relay's lease).
DRAIN_SECONDS = 30.0
STALE = 1  # `bkctl worker status`: some worker has no live process


def register(commands: Any) -> None:
    names = ", ".join(workers.NAMES)
    parser = commands.add_parser(
        "worker",
        help="run background workers (outbox, shredder, ...) in this process, or show status",
        description=(
            f"Run one registered worker ({names}), or `all`, until SIGTERM or SIGINT, which "
            "drain it. Start several processes to scale; row locks coordinate them. "
            "`bkctl worker status` lists the heartbeats and exits 1 if a worker has no live "
            "process."
        ),
    )
    parser.add_argument("name", help="a worker's name, `all`, or `status`")
    parser.add_argument(
        "--concurrency", type=int, default=1, help="copies of each worker in this process"
    )
    parser.add_argument("--once", action="store_true", help="run one pass, print it, and exit")
    parser.add_argument(
        "--stale-after",
        type=float,
        default=STALE_AFTER.total_seconds(),
        help="status: seconds without a beat after which a process counts as stale",
    )
    add_json(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, wiring: Wiring) -> int:
    if args.name == "status":  # a one-shot read: only the database and the clock are built
        return wiring.call(status, args=args)
    with wiring() as services:
        return _run(args, services)


def _run(args: argparse.Namespace, services: Services) -> int:
    # A process's main: it builds the loops it was asked for from everything the root wires.
    known = workers.registered()
    names = sorted(known) if args.name == "all" else [args.name]
    if args.name not in known and args.name != "all":
        listed = ", ".join(sorted(known))
        raise CliError(f"no worker named {args.name!r}; the workers are: {listed}, all", 2)
    if args.concurrency < 1:
        raise CliError("--concurrency must be at least 1", 2)
    stop = threading.Event()
    built = loops(services, names, concurrency=1 if args.once else args.concurrency, stop=stop)
    if not built:
        raise CliError(f"{args.name} has nothing to do with this deployment's settings", 2)
    if args.once:
        for loop in built:
            print(f"{loop.name}: {loop.tick()!r}")
        return 0
    running = {loop.name: args.concurrency for loop in built}
    beats = HeartbeatWriter(services.database.unit_of_work, services.clock, running)
    background = Background(built, stop=stop, heartbeats=beats)
    previous = {sig: signal.signal(sig, _stopper(stop)) for sig in _SIGNALS}
    try:
        background.start()
        summary = ", ".join(f"{name} x{n}" for name, n in running.items())
        log.info("worker: running %s; SIGTERM drains and stops", summary)
        while not stop.wait(1.0):
            pass
        log.info("worker: stopping; draining %s", summary)
        background.close(timeout=DRAIN_SECONDS)
        log.info("worker: stopped")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def status(args: argparse.Namespace, database: Database, clock: Clock) -> int:
    health = read_health(database.unit_of_work, clock, timedelta(seconds=args.stale_after))
    rows = list(health.rows())
    stale = health.stale_workers
    if args.json:
        print_json({"workers": rows, "stale_workers": stale})
    elif not rows:
        print("no worker heartbeats: no worker is running against this database")
    else:
        print(f"{'worker':<18} {'pid':>7}  {'host':<20} {'last beat':<26} {'age':>8}")
        for row in rows:
            flag = "  STALE" if row["stale"] else ""
            print(
                f"{row['worker']:<18} {row['pid']:>7}  {row['host']!s:<20} "
                f"{row['last_beat']!s:<26} {row['age_seconds']:>7}s{flag}"
            )
    if stale:
        print(f"bkctl: no live process for: {', '.join(stale)}", file=sys.stderr)
        return STALE
    return 0 if rows else STALE


_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _stopper(stop: threading.Event) -> Any:
    def handle(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    return handle
