"""What the observability layer costs on the confirm path: POST /api/bookings/confirm with it on
and off, everything else equal.

    .venv/bin/python bench/instrumentation_overhead.py
    .venv/bin/python bench/instrumentation_overhead.py --storage memory --rounds 10
    .venv/bin/python bench/instrumentation_overhead.py --multiprocess   # mmap-file metrics

on:  bootstrap's PrometheusTelemetry (request histogram and counter, access-log write counting,
     every core SLI event) and the request middleware (correlation id, JSON access line).
off: NullTelemetry, no access-log counting, create_app(instrument=False).

Each round builds both apps over fresh copies of one seeded database; every slot is then
confirmed on both, in random order, so drift in the machine's load falls on both alike. Each
confirm follows its own quote (not measured). Requests go through
Starlette's TestClient in this process; the access lines go to a temporary file, as stderr
would in production. Prints P50/P95/P99 and the delta; exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from bookiji_adapters.memory import ManualClock, SequentialIds
from bookiji_adapters.telemetry import NullTelemetry, multiprocess
from bookiji_entry.app import create_app
from bookiji_entry.bootstrap import Services, bootstrap
from bookiji_entry.seed import fixed_token, seed_demo
from bookiji_entry.settings import MEMORY_URL, Profile, Settings

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)  # a Monday; the demo seed opens 14 days from it
DOWNTOWN = {"latitude": 49.2827, "longitude": -123.1207}
AUTH = {"Authorization": f"Bearer {fixed_token('cus_01')}"}


def slots() -> Iterator[str]:
    """Hours the demo's haircut vendors are open (09:00-17:00 in Vancouver = 17:00-01:00 UTC)."""
    for day in range(1, 14):
        for hour in range(17, 25):
            at = NOW.replace(hour=0) + timedelta(days=day, hours=hour)
            yield at.isoformat().replace("+00:00", "Z")


def services_for(storage: str, template: Path | None, workdir: Path, on: bool) -> Services:
    telemetry = None if on else NullTelemetry()
    clock = ManualClock(NOW)
    if storage == "memory":
        settings = Settings(profile=Profile.TEST, database_url=MEMORY_URL)
        services = bootstrap(settings, clock=clock, ids=SequentialIds(), telemetry=telemetry)
        seed_demo(services.database.unit_of_work(), NOW, fixed_tokens=True)
        return services
    assert template is not None
    path = workdir / f"{'on' if on else 'off'}-{time.monotonic_ns()}.db"
    shutil.copyfile(template, path)
    settings = Settings(profile=Profile.TEST, database_url=f"sqlite:///{path}")
    return bootstrap(settings, clock=clock, ids=SequentialIds(), telemetry=telemetry)


def seeded_template(workdir: Path) -> Path:
    path = workdir / "template.db"
    services = bootstrap(
        Settings(profile=Profile.TEST, database_url=f"sqlite:///{path}"), clock=ManualClock(NOW)
    )
    services.database.upgrade()
    seed_demo(services.database.unit_of_work(), NOW, fixed_tokens=True)
    services.database.dispose()
    return path


def confirm_once(client: TestClient, at: str, key: str) -> float | None:
    """Quote `at` (not timed), then confirm the first candidate; seconds, or None if full."""
    body = {
        "service_type": "haircut",
        "location": DOWNTOWN,
        "date_time": at,
        "duration_minutes": 60,
    }
    quoted = client.post("/api/quote", headers=AUTH, json=body)
    if quoted.status_code not in (200, 201):
        return None  # every vendor of that hour is booked already
    q = quoted.json()
    payload = {
        "quote_id": q["quote_id"],
        "provider_id": q["candidates"][0]["provider_id"],
        "payment_method": "pm_card_visa",
    }
    headers = {**AUTH, "Idempotency-Key": key}
    started = time.perf_counter()
    response = client.post("/api/bookings/confirm", headers=headers, json=payload)
    elapsed = time.perf_counter() - started
    assert response.status_code == 201, response.text
    return elapsed


def measure_round(
    make: Callable[[bool], Services], requests: int, warmup: int, rng: random.Random
) -> dict[bool, list[float]]:
    """Both apps side by side, over databases seeded alike: each slot is confirmed on both,
    in random order, so any change in the machine's load falls on both alike."""
    timings: dict[bool, list[float]] = {False: [], True: []}
    services = {on: make(on) for on in (False, True)}
    with contextlib.ExitStack() as stack:
        clients = {
            on: stack.enter_context(TestClient(create_app(services[on], instrument=on)))
            for on in (False, True)
        }
        for n, at in enumerate(slot for slot in slots() for _ in range(3)):
            if len(timings[True]) == requests:
                break
            order = [False, True]
            rng.shuffle(order)
            pair = {on: confirm_once(clients[on], at, f"bench-{n}") for on in order}
            if pair[False] is None or pair[True] is None:
                assert pair[False] is None and pair[True] is None, "the databases diverged"
                continue
            if warmup > 0:
                warmup -= 1
                continue
            for on in (False, True):
                timings[on].append(pair[on])
    for s in services.values():
        s.database.dispose()
    if len(timings[True]) < requests:
        raise SystemExit(
            f"only {len(timings[True])} free slots per round; ask for fewer --requests"
        )
    return timings


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50": percentile(values, 0.50) * 1000,
        "p95": percentile(values, 0.95) * 1000,
        "p99": percentile(values, 0.99) * 1000,
        "mean": statistics.fmean(values) * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--storage", choices=["sqlite", "memory"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200, help="measured confirms per round")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured confirms per round")
    parser.add_argument(
        "--multiprocess",
        action="store_true",
        help="metrics in mmap files (PROMETHEUS_MULTIPROC_DIR)",
    )
    args = parser.parse_args(argv)
    results: dict[bool, list[float]] = {False: [], True: []}
    with tempfile.TemporaryDirectory(prefix="bookiji-bench-") as tmp:
        workdir = Path(tmp)
        if args.multiprocess:
            (workdir / "metrics").mkdir()
            multiprocess.enable(str(workdir / "metrics"))
        template = seeded_template(workdir) if args.storage == "sqlite" else None
        with open(workdir / "access.log", "w") as log, contextlib.redirect_stderr(log):
            rng = random.Random(0)
            for _round in range(args.rounds):
                got = measure_round(
                    lambda on: services_for(args.storage, template, workdir, on),
                    args.requests,
                    args.warmup,
                    rng,
                )
                for on in (False, True):
                    results[on] += got[on]
    print_report(args, results)
    return 0


def print_report(args: Any, results: dict[bool, list[float]]) -> None:
    off, on = summary(results[False]), summary(results[True])
    metrics = "mmap files (multiprocess mode)" if args.multiprocess else "in process"
    print("Instrumentation overhead on POST /api/bookings/confirm (TestClient, in process)")
    print(f"storage:  {args.storage}; metrics {metrics}")
    print(
        f"requests: {len(results[True])} per configuration ({args.rounds} rounds x {args.requests})"
    )
    print(f"{'':8} {'P50':>9} {'P95':>9} {'P99':>9} {'mean':>9}")
    for name, row in (("off", off), ("on", on)):
        print(f"{name:8} " + " ".join(f"{row[k]:7.3f}ms" for k in ("p50", "p95", "p99", "mean")))
    delta = " ".join(f"{on[k] - off[k]:+7.3f}ms" for k in ("p50", "p95", "p99", "mean"))
    print(f"{'delta':8} {delta}")
    ratio = " ".join(f"{(on[k] / off[k] - 1):+8.1%}" for k in ("p50", "p95", "p99", "mean"))
    print(f"{'':8} {ratio}")
    # The same slot, on both apps, moments apart: the least noisy estimate of the cost.
    paired = [b - a for a, b in zip(results[False], results[True], strict=True)]
    print(f"paired:  median {statistics.median(paired) * 1000:+.3f} ms per confirm (on - off)")


if __name__ == "__main__":
    sys.exit(main())
