"""`bkctl drill rollback|privacy`: the weekly drills, run against the running service.

Each drill is a list of timed checks, each against the 60 s target; the evidence goes to
ops/drills/YYYY-MM-DD.md and a drill that passed sets
`bookiji_drill_last_success_timestamp_seconds` (stored in the database, so any API process
exports it). The customer is a synthetic (SimCity-tagged) one made for the drill, so a drill
never touches a pilot customer's data and `bkctl simcity purge` removes what it leaves.
"""

from __future__ import annotations

import argparse
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bookiji_core.drills import Check, DrillResult, record_drill
from bookiji_core.ports import Clock, Ids, PaymentGateway, Telemetry, UnitOfWorkFactory
from bookiji_entry.cli._common import (
    UNAVAILABLE,
    CliError,
    add_token,
    add_url,
    env_token,
    server_url,
)
from bookiji_entry.cli._drill_steps import privacy_checks, rollback_checks
from bookiji_entry.drill_evidence import write
from bookiji_entry.settings import Settings

RUNBOOKS = {
    "rollback": "ops/runbooks/rollback.md",
    "privacy": "ops/runbooks/incident-003-privacy-export-delete-slowness.md",
}


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "drill",
        help="run a weekly drill against the running service and write its evidence",
        description=(
            "Run the rollback drill (quote, confirm, hold, rollback, the release at the payment "
            "provider, the audit trail) or the privacy drill (export and delete through the "
            "queue) against the service at --api, with a synthetic customer; write each check's "
            "result and duration against the 60 s target to ops/drills/YYYY-MM-DD.md."
        ),
    )
    parser.add_argument("drill", choices=sorted(RUNBOOKS))
    add_url(parser, "--api")
    parser.add_argument(
        "--out", type=Path, default=Path("ops/drills"), help="the evidence folder (ops/drills)"
    )
    parser.add_argument("--wait", type=float, default=60.0, help="seconds per step at most (60)")
    add_token(parser, help="an admin's bearer token (reads the audit trail over HTTP)")
    parser.set_defaults(run=run)


def run(
    args: argparse.Namespace,
    settings: Settings,
    uow: UnitOfWorkFactory,
    clock: Clock,
    ids: Ids,
    gateway: PaymentGateway,
    telemetry: Telemetry,
) -> int:
    if not 0 < args.wait <= 600:
        raise CliError("--wait must be more than 0 and at most 600 seconds", 2)
    admin = env_token(args.token)
    started = clock.now()
    checks: list[Check] = []

    def timed(name: str, step: Callable[[], str]) -> bool:
        began = time.monotonic()
        try:
            detail, ok = step(), True
        except Exception as exc:  # a failed check is evidence, not a crash
            detail, ok = f"{type(exc).__name__}: {exc}", False
        checks.append(Check(name, ok, time.monotonic() - began, detail.replace("|", "/")))
        return ok

    tag = secrets.token_hex(3)
    api = server_url(args.api)
    with httpx.Client(base_url=api, timeout=10.0) as http:
        try:
            http.get("/healthz").raise_for_status()
        except httpx.HTTPError as exc:
            raise CliError(f"the service at {api} does not answer: {exc}", UNAVAILABLE) from None
        if args.drill == "rollback":
            steps = rollback_checks(
                http, admin, uow, clock, ids, gateway, telemetry, tag, args.wait
            )
        else:
            steps = privacy_checks(http, admin, uow, clock, ids, tag, args.wait)
        for name, step in steps:
            if not timed(name, step):
                break
    result = DrillResult(args.drill, started, clock.now(), tuple(checks))
    record_drill(uow(), result)
    path = write(
        args.out, result, api=api, profile=settings.profile.value, runbook=RUNBOOKS[args.drill]
    )
    for c in checks:
        print(
            f"{'ok ' if c.ok and c.within_target else 'BAD'} {c.seconds:7.3f} s  "
            f"{c.name}: {c.detail}"
        )
    verdict = "passed" if result.passed else "FAILED"
    print(f"{args.drill} drill {verdict} in {result.seconds:.2f} s; evidence in {path}")
    return 0 if result.passed else 1
