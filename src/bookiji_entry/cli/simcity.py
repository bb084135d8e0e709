"""`bkctl simcity ...`: the synthetic-traffic daemon, deterministic runs, fuzzing, load, purge.

`on`, `off`, `status` and `config` talk to a running server (`--url`, an admin `--token`):
the daemon lives in the server process, next to the relay and the webhook loop it feeds.
`run`, `fuzz` and `scenarios` run in this process on virtual time, with the services wired by
bootstrap (the simcity profile, in-memory storage or a fresh SQLite file) and SimCity's clock,
ids and payment provider swapped in. `load` drives a running server over HTTP. `purge`
removes the synthetic records from the configured database.
"""

from __future__ import annotations

import argparse
from functools import partial
from typing import Any

from bookiji_entry.cli._common import add_json, add_token, add_url
from bookiji_entry.cli._simcity_ops import run_load_command, run_purge, run_remote
from bookiji_entry.cli._simcity_runs import STORAGES, run_fuzz, run_list, run_run

# -- the parser --------------------------------------------------------------------------------


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "simcity",
        help="SimCity: synthetic traffic, deterministic failure runs, fuzzing, load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="simcity_command", metavar="ACTION", required=True)
    for name, text in (
        ("on", "power the daemon on in a running server"),
        ("off", "power the daemon off"),
        ("status", "the daemon's state, rates, simulated time and counts"),
    ):
        sub = actions.add_parser(name, help=text, description=text)
        _add_remote(sub)
        sub.set_defaults(run=partial(run_remote, name))
    config = actions.add_parser(
        "config",
        help="change rates, population or fault probabilities",
        description="Change the daemon's settings, e.g. --set sessions_per_second=5.",
    )
    _add_remote(config)
    config.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="one setting (repeat)"
    )
    config.set_defaults(run=partial(run_remote, "config"))

    scenarios = actions.add_parser("scenarios", help="list the scenarios", description="List.")
    scenarios.set_defaults(run=run_list)

    run = actions.add_parser(
        "run",
        help="one deterministic run: a scenario and a seed",
        description=(
            "Run a scenario on virtual time. The same seed gives the same event log (its "
            "SHA-256 is printed) and the same verdict. Exit 1 if an invariant broke."
        ),
    )
    run.add_argument("--scenario", required=True, type=str.upper, help="e.g. SLOW_CONFIRM")
    run.add_argument("--seed", required=True, type=int, help="the seed (any integer)")
    run.add_argument("--storage", choices=STORAGES, default="memory", help="memory (default)")
    run.add_argument("--log", action="store_true", help="print the whole event log")
    add_json(run)
    run.set_defaults(run=run_run)

    fz = actions.add_parser(
        "fuzz",
        help="random fault schedules over many seeds; failures reported by seed",
        description="Run the FUZZ scenario for seeds S..S+N-1, with a progress bar on stderr.",
    )
    fz.add_argument("--seeds", required=True, type=int, help="how many seeds")
    fz.add_argument("--start", type=int, default=1, help="the first seed (1)")
    fz.add_argument("--jobs", type=int, default=1, help="worker processes (1)")
    fz.add_argument("--scenario", type=str.upper, default="FUZZ", help="FUZZ (default)")
    fz.add_argument("--storage", choices=STORAGES, default="memory", help="memory (default)")
    add_json(fz)
    fz.set_defaults(run=run_fuzz)

    load = actions.add_parser(
        "load",
        help="drive a running server over HTTP at a fixed arrival rate (open loop)",
        description=(
            "Quote-then-confirm flows at --rps arrivals per second for --duration seconds, as "
            "synthetic customers (tokens from POST /api/simcity/population, admin --token). "
            "Latency counts from each flow's scheduled time. Loopback targets only, unless "
            "--allow-remote."
        ),
    )
    add_url(load, "--target")
    load.add_argument("--rps", required=True, type=float, help="arrivals per second")
    load.add_argument("--duration", required=True, type=float, help="seconds")
    add_token(load, "an admin bearer token")
    load.add_argument("--customers", type=int, default=50, help="synthetic customers (50)")
    load.add_argument("--cap", type=int, default=64, help="flows (connections) in flight (64)")
    load.add_argument("--allow-remote", action="store_true", help="allow a non-loopback target")
    add_json(load)
    load.set_defaults(run=run_load_command)

    purge = actions.add_parser(
        "purge",
        help="remove every synthetic record from the configured database",
        description=(
            "Delete synthetic bookings (with their audit, outbox and ledger rows), quotes, "
            "customers, vendors and tokens. The append-only access log stays. Refused while a "
            "synthetic payment is queued or in flight, unless --force."
        ),
    )
    purge.add_argument("--force", action="store_true", help="even with payments in flight")
    add_json(purge)
    purge.set_defaults(run=run_purge)


def _add_remote(parser: argparse.ArgumentParser) -> None:
    add_url(parser)
    add_token(parser, "an admin bearer token")
    add_json(parser)
