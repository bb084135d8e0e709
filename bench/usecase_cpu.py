"""CPU per use case, this checkout against a baseline checkout, run side by side.

    .venv/bin/python -m bench.usecase_cpu --baseline /path/to/old/checkout/src --rounds 3

On a shared machine the host's speed drifts by tens of percent within minutes, so two
commits timed one after the other compare the host as much as the code. Here each round
starts two processes at the same moment, one per core, one per checkout: both see the same
host. Each builds `bkctl serve`'s parts (local profile, SQLite in a temporary file, the demo
data and SimCity's population), then runs `--flows` quote-then-confirm flows through the
use cases, with no HTTP and no background loops, and reports the median CPU time
(`time.process_time`) of `authenticate`, `request_quote` and `confirm_booking`. The table
gives each round's ratio (this checkout / baseline) and their median.

`--one SRC` (used by the rounds) measures one checkout and prints its medians as JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEASURES = ("authenticate", "request_quote", "confirm_booking")


def measure(flows: int, seed: int) -> dict[str, float]:
    """Medians in ms of CPU per call, for the code on sys.path."""
    from bench.flow_cpu import _audience
    from bench.openloop import OpenLoop
    from starlette.testclient import TestClient

    from bookiji_core.usecases import authenticate, confirm_booking, request_quote
    from bookiji_core.usecases.confirm import ConfirmBooking
    from bookiji_entry import inputs
    from bookiji_entry.app import create_app
    from bookiji_entry.bootstrap import bootstrap
    from bookiji_entry.seed import seed_demo
    from bookiji_entry.settings import Profile, Settings

    logging.disable(logging.INFO)  # the same for both: no access or relay lines
    workdir = Path(tempfile.mkdtemp(prefix="bookiji-uc-"))
    services = bootstrap(
        Settings(profile=Profile.LOCAL, database_url=f"sqlite:///{workdir}/bench.db")
    )
    services.database.upgrade()
    seed_demo(services.uow(), datetime.now(UTC), fixed_tokens=True)
    with TestClient(create_app(services)) as client:  # only to ask for the population
        bodies = OpenLoop("", 0, _audience(client), seed=seed)
    spent: dict[str, list[float]] = {name: [] for name in MEASURES}
    clock = time.process_time
    warmup = max(1, flows // 6)
    for n in range(flows + warmup):
        token, body = bodies.body()
        began = clock()
        caller = authenticate(token, services.uow(), datetime.now(UTC))
        auth = clock() - began
        request = inputs.quote_request(body, caller, services.policy)
        began = clock()
        quoted = request_quote(
            request, services.uow(), services.clock, services.ids, services.policy, services.maps
        )
        quote = clock() - began
        if not quoted.quote.candidates:
            continue
        command = ConfirmBooking(
            caller,
            quoted.quote.id,
            quoted.quote.candidates[0].vendor_id,
            "pm_card_visa",
            str(uuid.uuid4()),
        )
        began = clock()
        with contextlib.suppress(Exception):  # a slot taken meanwhile: still a confirm's work
            confirm_booking(
                command, services.uow(), services.clock, services.ids, services.booking_policy
            )
        confirm = clock() - began
        if n >= warmup:
            for name, value in zip(MEASURES, (auth, quote, confirm), strict=True):
                spent[name].append(value)
    services.database.dispose()
    return {name: round(1000 * statistics.median(v), 4) for name, v in spent.items()}


def _start(src: str, flows: int, seed: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{ROOT}"}
    command = [sys.executable, "-m", "bench.usecase_cpu", "--one", "--flows", str(flows)]
    return subprocess.Popen(
        [*command, "--seed", str(seed)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _result(process: subprocess.Popen[str]) -> dict[str, float]:
    out, _ = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"a measuring process failed with {process.returncode}")
    answer: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return answer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="the other checkout's src/ (required without --one)")
    parser.add_argument("--src", default=str(ROOT / "src"), help="this checkout's src/")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--flows", type=int, default=600)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.flows, args.seed)))
        return 0
    if not args.baseline:
        parser.error("--baseline SRC is required")
    with open("/proc/loadavg") as f:
        load_before = f.read().split()[0]
    rows = []
    for _ in range(args.rounds):
        new = _start(args.src, args.flows, args.seed)
        old = _start(args.baseline, args.flows, args.seed)
        rows.append((_result(new), _result(old)))
    with open("/proc/loadavg") as f:
        load_after = f.read().split()[0]
    print(f"rounds {args.rounds}, {args.flows} flows each; load {load_before} -> {load_after}")
    print("| use case | baseline ms (per round) | this ms (per round) | ratio (median) |")
    print("|---|---|---|---|")
    for name in MEASURES:
        old_ms = [old[name] for _, old in rows]
        new_ms = [new[name] for new, _ in rows]
        ratio = statistics.median(n / o for n, o in zip(new_ms, old_ms, strict=True))
        print(
            f"| {name} | {', '.join(f'{v:.2f}' for v in old_ms)} "
            f"| {', '.join(f'{v:.2f}' for v in new_ms)} | {ratio:.2f}x |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
