"""`bkctl simcity scenarios|run|fuzz`: deterministic runs on virtual time, in this process."""

from __future__ import annotations

import argparse
from functools import partial
from typing import Any

from bookiji_entry.bootstrap import simcity_run_wiring
from bookiji_entry.cli._common import CliError, on_terminal, print_json
from bookiji_simcity.fuzz import Progress, fuzz
from bookiji_simcity.outcome import Verdict
from bookiji_simcity.scenarios import SCENARIOS, run_scenario

STORAGES = ("memory", "sqlite")


def run_one(name: str, storage: str, seed: int) -> Verdict:
    """One seed, no log kept (fuzzing); module-level so that worker processes can run it."""
    extra = "" if storage == "memory" else f" --storage {storage}"
    wiring = partial(simcity_run_wiring, storage=storage)
    verdict, _log = run_scenario(name, seed, wiring, keep_log=False, replay_extra=extra)
    return verdict


def run_list(_args: argparse.Namespace) -> int:
    for scenario in SCENARIOS.values():
        print(f"{scenario.name:<26} {scenario.summary}")
    return 0


def _scenario(name: str) -> str:
    if name not in SCENARIOS:
        raise CliError(f"unknown scenario {name!r}; `bkctl simcity scenarios` lists them", 2)
    return name


def run_run(args: argparse.Namespace) -> int:
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


def run_fuzz(args: argparse.Namespace) -> int:
    name = _scenario(args.scenario)
    if args.seeds < 1 or args.jobs < 1:
        raise CliError("--seeds and --jobs must be at least 1", 2)
    seeds = range(args.start, args.start + args.seeds)
    report = fuzz(
        seeds,
        partial(run_one, name, args.storage),
        jobs=args.jobs,
        progress=Progress(args.seeds) if on_terminal() else None,
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
