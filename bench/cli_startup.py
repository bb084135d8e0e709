"""Wall time of `bkctl` invocations, end to end, as a shell runs them (a fresh process each).

    .venv/bin/python bench/cli_startup.py --runs 10 --json var/cli-startup.json
    .venv/bin/python bench/cli_startup.py --src ../old/src      # another checkout's code
    .venv/bin/python bench/cli_startup.py --database postgresql   # a fresh PostgreSQL database

Migrates and seeds a fresh database (`bkctl db upgrade`, `bkctl seed --demo --fixed-tokens`;
SQLite in a temporary directory, or a database created and dropped on --pg-url), then runs
each command `--runs` times: `bkctl --help`, `bkctl --version`, commands that open and read
the database (`flags list`, `outbox status`, `worker status`, `dlq list`, `bookings list`),
`bkctl db upgrade` (already at head: reads the schema version) and `bkctl rollback`: for each
run, one booking is made beforehand (`bkctl quote` + `bkctl book`, not timed), and one relay
(`bkctl worker outbox`) runs in the background for the whole series, so the rollback's
`--wait` ends when the relay has carried the release to the payment provider (the end-to-end
time an operator waits); a random pause before each rollback spreads them over the phases of
the relay's tick. Records the median and minimum wall time and the user+system CPU of
each (from os.wait4), the import time of the parser alone (`python -X importtime`), and the
load average before and after. Prints a markdown table. Goals (issue 10): --help <= 0.3 s, a
command that reads the database <= 1 s, a rollback <= 1 s.

The children run with bytecode caching on (PYTHONDONTWRITEBYTECODE removed from their
environment, and each command run once untimed first), as an installed bkctl does; with
--no-bytecode-cache they compile every module of this checkout on each run instead.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BKCTL = Path(sys.executable).with_name("bkctl")
ADMIN = "demo-adm_ops"
CUSTOMER = "demo-cus_01"
COMMANDS = (
    ("bkctl --help", ["--help"], 0.3),
    ("bkctl --version", ["--version"], 0.3),
    ("bkctl flags list", ["flags", "list"], 1.0),
    ("bkctl outbox status", ["outbox", "status"], 1.0),
    ("bkctl worker status", ["worker", "status"], 1.0),
    ("bkctl dlq list", ["dlq", "list"], 1.0),
    ("bkctl bookings list", ["bookings", "list", "--token", ADMIN], 1.0),
    ("bkctl db upgrade", ["db", "upgrade"], 1.0),
)
ROLLBACK_GOAL = 1.0
OK_EXITS = {"bkctl worker status": {0, 1}}  # 1: no worker has a live process (none runs)


def timed(argv: list[str], env: dict[str, str], ok: set[int] | None = None) -> tuple[float, float]:
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    assert child.stderr is not None
    if os.waitstatus_to_exitcode(status) not in (ok or {0}):
        raise SystemExit(f"{' '.join(argv)} failed: {child.stderr.read().decode()[-500:]}")
    child.stderr.close()
    return wall, usage.ru_utime + usage.ru_stime


def bkctl_json(words: list[str], env: dict[str, str]) -> Any:
    done = subprocess.run(
        [str(BKCTL), *words, "--json"], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"bkctl {' '.join(words)} failed: {done.stderr[-500:]}")
    return json.loads(done.stdout)


def import_ms(env: dict[str, str]) -> float:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import bookiji_entry.cli"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    line = [x for x in done.stderr.splitlines() if x.rstrip().endswith("bookiji_entry.cli")]
    return int(line[-1].split("|")[1]) / 1000


@contextlib.contextmanager
def fresh_database(kind: str, pg_url: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/cli.db"
        return
    import psycopg

    name = f"bench_cli_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{pg_url.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"
    finally:
        with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_bookings(count: int, env: dict[str, str]) -> list[str]:
    """`count` held bookings of the demo customer, each in its own slot (not timed)."""
    first = (datetime.now(UTC) + timedelta(days=7)).replace(hour=18, minute=0, second=0)
    made: list[str] = []
    for index in range(count):
        at = (first + timedelta(days=index // 4, hours=index % 4)).isoformat()
        where = ["--lat", "49.2827", "--lon", "-123.1207", "--at", at]
        quote = bkctl_json(["quote", "--service", "haircut", *where, "--token", CUSTOMER], env)
        provider = quote["candidates"][0]["provider_id"]
        pay = ["--payment-method", "pm_card_visa", "--idempotency-key", f"bench-{index}"]
        words = ["book", "--quote", quote["quote_id"], "--provider", provider, *pay]
        booking = bkctl_json([*words, "--token", CUSTOMER], env)
        made.append(booking["booking_id"])
    return made


def time_rollbacks(
    bookings: list[str], env: dict[str, str]
) -> tuple[list[tuple[float, float]], list[float]]:
    """Each booking rolled back with a relay running: (wall, CPU) of each command, and its
    own `seconds` (rollback + waiting for the relay, without the process's start-up)."""
    relay = subprocess.Popen(
        [str(BKCTL), "worker", "outbox"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    runs: list[tuple[float, float]] = []
    inside: list[float] = []
    # Back-to-back rollbacks would lock onto one phase of the relay's 0.5 s tick (and report
    # that phase's wait every time); a pause drawn from [0, 0.5) s before each spreads them.
    pauses = random.Random(0)
    try:
        time.sleep(3.0)  # the relay is up, and has carried the bookings' holds
        for booking in bookings:
            time.sleep(pauses.uniform(0.0, 0.5))
            with tempfile.TemporaryFile("w+") as out:
                started = time.perf_counter()
                child = subprocess.Popen(
                    [str(BKCTL), "rollback", "--booking", booking, "--json", "--wait", "30"],
                    env=env,
                    stdout=out,
                    stderr=subprocess.DEVNULL,
                )
                _pid, status, usage = os.wait4(child.pid, 0)
                runs.append((time.perf_counter() - started, usage.ru_utime + usage.ru_stime))
                if os.waitstatus_to_exitcode(status) != 0:
                    raise SystemExit(f"bkctl rollback --booking {booking} failed")
                out.seek(0)
                result = json.load(out)
            states = {m["state"] for m in result["payment_messages"]}
            if not result["payment_messages"] or states - {"committed", "gone"}:
                raise SystemExit(f"rollback of {booking} did not reach the provider: {result}")
            inside.append(result["seconds"])
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait(timeout=60)
    return runs, inside


def row(label: str, walls: list[float], cpus: list[float] | None, goal: float) -> dict[str, Any]:
    return {
        "command": label,
        "median_s": round(statistics.median(walls), 3),
        "min_s": round(min(walls), 3),
        "cpu_median_s": round(statistics.median(cpus), 3) if cpus else None,
        "goal_s": goal,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--src", help="put this src/ first on PYTHONPATH (old code)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--no-rollback", action="store_true", help="skip the rollback series")
    parser.add_argument("--only-rollback", action="store_true", help="time bkctl rollback alone")
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE as it is (every run compiles this checkout)",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with fresh_database(args.database, args.pg_url) as url:
        env = dict(os.environ, BOOKIJI_DATABASE_URL=url)
        env.pop("BOOKIJI_TOKEN", None)
        if not args.no_bytecode_cache:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
        if args.src:
            env["PYTHONPATH"] = str(Path(args.src).resolve())
        for words in (["db", "upgrade"], ["seed", "--demo", "--fixed-tokens"]):
            subprocess.run([BKCTL, *words], env=env, check=True, capture_output=True)
        bookings = [] if args.no_rollback else make_bookings(args.runs, env)
        load_before = os.getloadavg()
        results: list[dict[str, Any]] = []
        for label, words, goal in () if args.only_rollback else COMMANDS:
            ok = OK_EXITS.get(label)
            timed([str(BKCTL), *words], env, ok)  # untimed: writes the bytecode caches
            runs = [timed([str(BKCTL), *words], env, ok) for _ in range(args.runs)]
            results.append(row(label, [w for w, _c in runs], [c for _w, c in runs], goal))
        if bookings:
            runs, inside = time_rollbacks(bookings, env)
            walls, cpus = [w for w, _c in runs], [c for _w, c in runs]
            results.append(row("bkctl rollback (relay running)", walls, cpus, ROLLBACK_GOAL))
            results.append(row("  of which in the command", inside, None, ROLLBACK_GOAL))
        imports = import_ms(env)
        load_after = os.getloadavg()
    print(
        f"{args.runs} runs each on {args.database}; `import bookiji_entry.cli` {imports:.0f} ms "
        f"(-X importtime); bytecode cache {'off' if args.no_bytecode_cache else 'on'}"
    )
    print(
        f"load average {' '.join(f'{x:.2f}' for x in load_before)} before, "
        f"{' '.join(f'{x:.2f}' for x in load_after)} after"
    )
    print("\n| command | median s | min s | CPU s (median) | goal s |")
    print("|---|---:|---:|---:|---:|")
    for r in results:
        cpu = "" if r["cpu_median_s"] is None else f"{r['cpu_median_s']:.3f}"
        print(
            f"| `{r['command']}` | {r['median_s']:.3f} | {r['min_s']:.3f} | {cpu} | {r['goal_s']} |"
        )
    if args.json is not None:
        summary = {
            "database": args.database,
            "import_ms": imports,
            "loadavg": [load_before, load_after],
            "results": results,
        }
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
