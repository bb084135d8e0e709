"""`bkctl serve`: the API under uvicorn, with the background workers in the same process
unless `--no-workers` (production's layout: API processes and `bkctl worker` processes)."""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import uvicorn

from bookiji_core.errors import Unauthenticated
from bookiji_entry import seed
from bookiji_entry.app import create_app
from bookiji_entry.bootstrap import Services, loops, token_policy_for
from bookiji_entry.cli._common import CliError, Wiring, login
from bookiji_entry.cli.seed import print_tokens, seed_or_refuse
from bookiji_entry.heartbeats import HeartbeatWriter
from bookiji_entry.logs import uvicorn_log_config
from bookiji_entry.metrics_dir import shared_metrics_dir
from bookiji_entry.settings import Profile
from bookiji_entry.workers import Background


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "serve",
        help="run the HTTP API",
        description=(
            "Serve the HTTP API with uvicorn and run every background worker in this process "
            "(--no-workers: the API only; run them with bkctl worker). On SQLite it first "
            "applies the migrations and, on an empty database, seeds the demo pilot and "
            "prints its tokens. Ctrl-C stops it."
        ),
    )
    parser.add_argument("--host", help="address to bind (default BOOKIJI_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to bind (default BOOKIJI_PORT or 8000)")
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes (default 1)"
    )
    parser.add_argument(
        "--no-workers",
        action="store_true",
        help="serve the API only; the background workers run as `bkctl worker` processes",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, wiring: Wiring) -> int:
    # The process's main: it composes the app and the loops from everything the root wires.
    if args.workers < 1:
        raise CliError("--workers must be at least 1", 2)
    with shared_metrics_dir(args.workers), wiring() as services:
        cfg = services.settings
        if args.workers > 1 and cfg.is_memory:
            raise CliError("memory:// storage cannot be shared by several workers", 2)
        prepare(services)
        host, port = args.host or cfg.host, cfg.port if args.port is None else args.port
        log_config = uvicorn_log_config(cfg.log_level)  # uvicorn's lines are JSON too
        background = _background(services, run_workers=not args.no_workers)
        background.start()
        try:
            with _stopped_by_signals():
                if args.workers == 1:
                    app = create_app(services)
                    # uvicorn's access log would add client addresses and raw paths;
                    # bookiji.access writes one JSON line per request instead.
                    config = uvicorn.Config(
                        app, host=host, port=port, access_log=False, log_config=log_config
                    )
                    uvicorn.Server(config).run()
                else:
                    # Each worker process wires its own services from the same environment.
                    uvicorn.run(
                        "bookiji_entry.app:app_factory",
                        factory=True,
                        host=host,
                        port=port,
                        workers=args.workers,
                        access_log=False,
                        log_config=log_config,
                    )
        finally:
            background.close()
    return 0


def _background(services: Services, *, run_workers: bool) -> Background:
    """Every worker in threads of this process, each beating as `bkctl worker` does; or none."""
    if not run_workers:
        return Background([])
    stop = threading.Event()
    built = loops(services, stop=stop)
    running = {x.name: 1 for x in built}
    beats = HeartbeatWriter(services.database.unit_of_work, services.clock, running)
    return Background(built, stop=stop, heartbeats=beats)


class _Stop(Exception):
    pass


def _raise_stop(_signum: int, _frame: FrameType | None) -> None:
    raise _Stop


@contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal to the
    handler it found; ours turns that into a normal return, so that the loops and the
    database are closed and the exit status is 0."""
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    except _Stop:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def prepare(services: Services) -> None:
    """On SQLite (or memory): migrate, and seed the demo pilot if it is not there yet."""
    cfg = services.settings
    if not (cfg.is_sqlite or cfg.is_memory):
        return
    services.database.upgrade()
    fixed = cfg.profile is Profile.LOCAL
    if not seed.is_seeded(services.uow()):
        tokens = seed_or_refuse(
            cfg, services.uow, services.clock, token_policy_for(cfg), fixed_tokens=fixed
        )
        print_tokens(tokens, fixed=fixed)
    elif fixed and _demo_tokens_work(services):
        print(
            "Demo data present. Public demo tokens: customer "
            f"{seed.fixed_token('cus_01')}, admin {seed.fixed_token(seed.ADMIN_ID)}",
            flush=True,
        )


def _demo_tokens_work(services: Services) -> bool:
    try:
        login(services.uow, services.clock, seed.fixed_token("cus_01"))
    except Unauthenticated:
        return False
    return True
