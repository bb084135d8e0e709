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
import asyncio
import json
from functools import partial
from typing import Any

import httpx

from bookiji_entry import settings as settings_module
from bookiji_entry.bootstrap import simcity_run_wiring
from bookiji_entry.cli._common import CliError, Context, add_json, print_json
from bookiji_simcity.fuzz import Progress, fuzz
from bookiji_simcity.load import Audience, LoadRefused, ensure_loopback, run_load
from bookiji_simcity.outcome import Verdict
from bookiji_simcity.purge import PurgeRefused, purge_memory, purge_sql
from bookiji_simcity.scenarios import SCENARIOS, run_scenario

STORAGES = ("memory", "sqlite")


def run_one(name: str, storage: str, seed: int) -> Verdict:
    """One seed, no log kept (fuzzing); module-level so that worker processes can run it."""
    extra = "" if storage == "memory" else f" --storage {storage}"
    wiring = partial(simcity_run_wiring, storage=storage)
    verdict, _log = run_scenario(name, seed, wiring, keep_log=False, replay_extra=extra)
    return verdict


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
    load.add_argument("--target", required=True, help="the server, e.g. http://127.0.0.1:8000")
    load.add_argument("--rps", required=True, type=float, help="arrivals per second")
    load.add_argument("--duration", required=True, type=float, help="seconds")
    load.add_argument("--token", required=True, help="an admin bearer token")
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
    parser.add_argument("--url", help="the server (default http://BOOKIJI_HOST:BOOKIJI_PORT)")
    parser.add_argument("--token", required=True, help="an admin bearer token")
    add_json(parser)


# -- the daemon, remotely ----------------------------------------------------------------------


def run_remote(action: str, args: argparse.Namespace, _context: Context) -> int:
    base = args.url or _default_url()
    headers = {"Authorization": f"Bearer {args.token}"}
    method, path = {
        "on": ("POST", "/api/simcity/power/on"),
        "off": ("POST", "/api/simcity/power/off"),
        "status": ("GET", "/api/simcity/status"),
        "config": ("POST", "/api/simcity/config"),
    }[action]
    body = _settings(args.set) if action == "config" else None
    try:
        response = httpx.request(method, base + path, headers=headers, json=body, timeout=30)
    except httpx.HTTPError as error:
        raise CliError(f"cannot reach {base}: {error}", 1) from None
    shown = response.json()
    if response.status_code >= 400:
        raise CliError(f"{shown.get('code')}: {shown.get('detail')}", _exit_for(response))
    if args.json:
        print_json(shown)
    else:
        _print_status(shown)
    return 0


def _default_url() -> str:
    cfg = settings_module.current()
    return f"http://{cfg.host}:{cfg.port}"


def _settings(pairs: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise CliError(f"--set wants NAME=VALUE, got {pair!r}", 2)
        try:
            body[name.strip()] = json.loads(value)
        except ValueError:
            raise CliError(f"--set {name}: {value!r} is not a number", 2) from None
    if not body:
        raise CliError("give at least one --set NAME=VALUE", 2)
    return body


def _exit_for(response: httpx.Response) -> int:
    return {401: 3, 403: 3, 422: 2}.get(response.status_code, 1)


def _print_status(status: dict[str, Any]) -> None:
    state = "running" if status["running"] else "off"
    print(f"SimCity is {state}; simulated time {status['simulated_time']}")
    rates = ", ".join(f"{k}={v:g}" for k, v in status["rates"].items())
    print(f"  rates: {rates}")
    pop = status["population"]
    print(f"  population: {pop['customers']} customers, {pop['vendors']} vendors")
    counts = ", ".join(f"{k}={v}" for k, v in status["counts"].items()) or "none yet"
    print(f"  counts: {counts}")


# -- deterministic runs ------------------------------------------------------------------------


def run_list(_args: argparse.Namespace, _context: Context) -> int:
    for scenario in SCENARIOS.values():
        print(f"{scenario.name:<26} {scenario.summary}")
    return 0


def _scenario(name: str) -> str:
    if name not in SCENARIOS:
        raise CliError(f"unknown scenario {name!r}; `bkctl simcity scenarios` lists them", 2)
    return name


def run_run(args: argparse.Namespace, _context: Context) -> int:
    name = _scenario(args.scenario)
    extra = "" if args.storage == "memory" else f" --storage {args.storage}"
    wiring = partial(simcity_run_wiring, storage=args.storage)
    verdict, log = run_scenario(name, args.seed, wiring, replay_extra=extra)
    if args.json:
        print_json(_verdict_json(verdict) | {"log": log.lines if args.log else None})
    else:
        if args.log:
            print("\n".join(log.lines))
        _print_verdict(verdict)
    return 0 if verdict.ok else 1


def _verdict_json(verdict: Verdict) -> dict[str, Any]:
    return {
        "scenario": verdict.scenario,
        "seed": verdict.seed,
        "ok": verdict.ok,
        "sha256": verdict.sha256,
        "steps": verdict.steps,
        "simulated_seconds": verdict.simulated_seconds,
        "violations": list(verdict.violations),
        "replay": verdict.replay,
        "counts": verdict.counts,
    }


def _print_verdict(verdict: Verdict) -> None:
    print(verdict.summary())
    for violation in verdict.violations:
        print(f"  violation: {violation}")
    if not verdict.ok:
        print(f"  replay: {verdict.replay} --log")


def run_fuzz(args: argparse.Namespace, _context: Context) -> int:
    name = _scenario(args.scenario)
    if args.seeds < 1 or args.jobs < 1:
        raise CliError("--seeds and --jobs must be at least 1", 2)
    seeds = range(args.start, args.start + args.seeds)
    report = fuzz(
        seeds,
        partial(run_one, name, args.storage),
        jobs=args.jobs,
        progress=Progress(args.seeds),
    )
    if args.json:
        print_json(
            {
                "seeds": report.seeds,
                "start": args.start,
                "failed": [_verdict_json(v) for v in report.failures],
                "seconds": round(report.seconds, 2),
            }
        )
    else:
        print(
            f"{report.seeds} seeds ({args.start}..{args.start + args.seeds - 1}) of {name}, "
            f"{len(report.failures)} failed, {report.seconds:.1f} s"
        )
        for verdict in report.failures:
            print(f"  seed {verdict.seed}: {verdict.violations[0]}")
            print(f"    replay: {verdict.replay} --log")
    return 0 if report.ok else 1


# -- load and purge ----------------------------------------------------------------------------


def run_load_command(args: argparse.Namespace, _context: Context) -> int:
    target = args.target.rstrip("/")
    try:
        ensure_loopback(target, allow_remote=args.allow_remote)
    except LoadRefused as refusal:
        raise CliError(str(refusal), 2) from None
    audience = _audience(target, args.token, args.customers)
    try:
        result = asyncio.run(
            run_load(target, audience, rps=args.rps, duration=args.duration, cap=args.cap)
        )
    except LoadRefused as refusal:
        raise CliError(str(refusal), 2) from None
    if args.json:
        print_json(result)
        return 0
    print(
        f"{result['flows']} flows at {args.rps:g}/s for {args.duration:g} s against {target} "
        f"(wall {result['wall_seconds']} s)"
    )
    for name, figures in result["endpoints"].items():
        print(
            f"  {name:<8} n={figures['requests']:<6} p50={figures['p50_ms']:.1f} ms "
            f"p95={figures['p95_ms']:.1f} ms p99={figures['p99_ms']:.1f} ms "
            f"max={figures['max_ms']:.1f} ms  statuses {figures['statuses']}"
        )
    print(
        f"  error rate {result['error_rate']:.2%} (5xx and transport errors), refusals "
        f"{result['refusal_rate']:.2%} (4xx); generator lag p99 "
        f"{result['generator_lag_p99_ms']} ms"
    )
    if result["cap_waits"]:
        print(f"  the concurrency cap ({args.cap}) was hit: {result['cap_waits']} flows waited")
    return 0


def _audience(target: str, token: str, customers: int) -> Audience:
    try:
        response = httpx.post(
            f"{target}/api/simcity/population",
            headers={"Authorization": f"Bearer {token}"},
            json={"tokens": customers},
            timeout=120,
        )
    except httpx.HTTPError as error:
        raise CliError(f"cannot reach {target}: {error}", 1) from None
    body = response.json()
    if response.status_code != 200:
        raise CliError(f"population: {body.get('code')}: {body.get('detail')}", 1)
    area = body["area"]
    return Audience(
        tokens=tuple(c["token"] for c in body["customers"]),
        latitude=area["latitude"],
        longitude=area["longitude"],
        radius_km=area["radius_km"],
        service_types=tuple(body["service_types"]),
    )


def run_purge(args: argparse.Namespace, context: Context) -> int:
    with context.services() as services:
        try:
            if services.settings.is_memory:
                report = purge_memory(services.database.unit_of_work(), force=args.force)
            else:
                from bookiji_adapters.sqlalchemy import SqlAlchemyStorage

                storage = SqlAlchemyStorage(services.settings.database_url)
                try:
                    report = purge_sql(storage.engine, force=args.force)
                finally:
                    storage.dispose()
        except PurgeRefused as refusal:
            raise CliError(f"{refusal}; power SimCity off and let the relay drain", 5) from None
    shown = {"bookings": report.bookings, "customers": report.customers, "vendors": report.vendors}
    if args.json:
        print_json(shown)
    else:
        print(
            f"purged {report.bookings} synthetic bookings, {report.customers} customers, "
            f"{report.vendors} vendors"
        )
    return 0
