"""`bkctl worker NAME`: run one background loop as its own process (production's layout).

The loops are the ones `bkctl serve` runs in its threads (`bookiji_entry.workers`), so a
loop added there is a worker here too. Start several processes of one worker to scale: they
coordinate through row locks. SIGINT or SIGTERM stops it after the current pass.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from types import FrameType
from typing import Any

from bookiji_entry.bootstrap import Services, loops
from bookiji_entry.cli._common import CliError


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "worker",
        help="run one background worker (shredder, auto-cancel, ...) in this process",
        description=(
            "Run one of the background loops that bkctl serve runs in its threads, until "
            "SIGINT or SIGTERM. Start several to scale; row locks coordinate them."
        ),
    )
    parser.add_argument("name", help="the loop to run, e.g. shredder or auto-cancel")
    parser.add_argument("--once", action="store_true", help="run one pass, print it, and exit")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, services: Services) -> int:
    # A process's main: it runs one of the loops the composition root builds from everything.
    found = {loop.name: loop for loop in loops(services)}
    loop = found.get(args.name)
    if loop is None:
        known = ", ".join(sorted(found))
        raise CliError(f"no worker named {args.name!r}; the workers are: {known}", 2)
    if args.once:
        print(f"{loop.name}: {loop.tick()!r}")
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stop = threading.Event()
    previous = {sig: signal.signal(sig, _stopper(stop)) for sig in _SIGNALS}
    try:
        print(f"{loop.name}: running every {loop.interval:g} s; Ctrl-C stops", flush=True)
        loop.run(stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _stopper(stop: threading.Event) -> Any:
    def handle(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    return handle
