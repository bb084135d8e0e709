"""A/B harness: Bookiji (`bkctl serve`) against the bare floor (`bench/floor.py`), same run.

    .venv/bin/python -m bench.ab --db sqlite --rates 25,50,100,200 --duration 10

Per rate and repeat it runs floor, then Bookiji (floor / Bookiji / floor / Bookiji ...), each
on a fresh database and a fresh server process, driven by the open-loop client of
`bench/openloop.py`. Per run it records the load average before and after, the server's CPU
(its process tree, from /proc) and the client's, and the latencies. Out: a JSON file with
every run and a markdown table with the ratios (stdout, and `--markdown FILE`). The machine is
shared, so the figures that mean something are the same-run ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.openloop import Audience, drive
from bench.servers import ROOT, backend_cpu, database, loadavg, server, tree_cpu

# "baseline" is Bookiji from another checkout (--baseline SRC): old and new in one run.
SYSTEMS = ("floor", "baseline", "bookiji")


def _audience(answer: dict[str, Any]) -> Audience:
    area = answer["area"]
    return Audience(
        tokens=tuple(c["token"] for c in answer["customers"]),
        latitude=area["latitude"],
        longitude=area["longitude"],
        radius_km=area["radius_km"],
        service_types=tuple(answer["service_types"]),
    )


def _env(args: argparse.Namespace) -> dict[str, str]:
    pairs = [item.split("=", 1) for item in args.env]
    if any(len(pair) != 2 for pair in pairs):
        raise SystemExit("--env takes NAME=VALUE")
    return dict(pairs)


def one_run(args: argparse.Namespace, system: str, rate: float, n: int) -> dict[str, Any]:
    port = args.port_base + n % 100
    name = f"perf_ab_{system}_{n}"
    src = {"bookiji": args.src, "baseline": args.baseline}.get(system)
    with (
        database(args.db, name, args.pg_url) as (url, scratch),
        server(
            "floor" if system == "floor" else "bookiji",
            url,
            scratch,
            port,
            workers=args.workers,
            layout=args.layout,
            src=src,
            python=args.baseline_python if system == "baseline" else None,
            extra_env=_env(args),
        ) as (pids, pop),
    ):
        audience = _audience(pop)
        if args.warmup:
            asyncio.run(drive("127.0.0.1", port, audience, rate=20, duration=args.warmup, grace=5))
        time.sleep(0.5)
        load_before, cpu_before = loadavg(), sum(tree_cpu(pid) for pid in pids)
        db_before = backend_cpu(args.pg_url, name) if args.db == "postgres" else {}
        result = asyncio.run(
            drive("127.0.0.1", port, audience, rate=rate, duration=args.duration, grace=args.grace)
        )
        cpu = sum(tree_cpu(pid) for pid in pids) - cpu_before
        db_after = backend_cpu(args.pg_url, name) if args.db == "postgres" else {}
        db_cpu = sum(v - db_before.get(k, 0.0) for k, v in db_after.items())
        result.update(
            system=system,
            db=args.db,
            workers=args.workers,
            layout=args.layout,
            src=src,
            load_before=load_before,
            load_after=loadavg(),
            server_cpu_s=round(cpu, 2),
            server_cpu_ms_per_flow=round(1000 * cpu / max(result["flows_done"], 1), 2),
            db_cpu_ms_per_flow=round(1000 * db_cpu / max(result["flows_done"], 1), 2),
        )
    return result


def passes(run: dict[str, Any], threshold: float) -> bool:
    quote, confirm = run["endpoints"]["quote"], run["endpoints"]["confirm"]
    return (
        run["errors"] == 0
        and quote["requests"] == run["arrivals"]
        and max(quote["p99_ms"], confirm["p99_ms"]) <= threshold
    )


def max_rate(runs: list[dict[str, Any]], system: str, threshold: float) -> float:
    """The highest rate at which every run of `system` held P99 <= threshold, error-free."""
    best = 0.0
    for rate in sorted({r["rate"] for r in runs}):
        mine = [r for r in runs if r["system"] == system and r["rate"] == rate]
        if mine and all(passes(r, threshold) for r in mine):
            best = rate
    return best


def _median(runs: list[dict[str, Any]], pick: Any) -> float:
    return round(statistics.median(pick(r) for r in runs), 1) if runs else 0.0


def _join(rows: list[dict[str, Any]], key: str) -> str:
    return "/".join(f"{row[key]:g}" for row in rows)


def table(report: dict[str, Any]) -> str:
    runs, threshold = report["runs"], report["threshold_ms"]
    lines = [
        "| rate/s | system | runs | quote P50 / P99 ms | confirm P50 / P99 ms | errors "
        "| goodput/s | server CPU ms/flow | CPU ratio | PG backends ms/flow | load avg |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for rate in sorted({r["rate"] for r in runs}):
        cpu_floor = _median(
            [r for r in runs if r["rate"] == rate and r["system"] == "floor"],
            lambda r: r["server_cpu_ms_per_flow"],
        )
        for system in SYSTEMS:
            mine = [r for r in runs if r["rate"] == rate and r["system"] == system]
            if not mine:
                continue
            q = [r["endpoints"]["quote"] for r in mine]
            c = [r["endpoints"]["confirm"] for r in mine]
            cpu = _median(mine, lambda r: r["server_cpu_ms_per_flow"])
            db_cpu = _median(mine, lambda r: r.get("db_cpu_ms_per_flow", 0.0))
            loads = ", ".join(f"{r['load_before'][0]:.1f}->{r['load_after'][0]:.1f}" for r in mine)
            lines.append(
                f"| {rate:g} | {system} | {len(mine)} "
                f"| {_join(q, 'p50_ms')} / {_join(q, 'p99_ms')} "
                f"| {_join(c, 'p50_ms')} / {_join(c, 'p99_ms')} "
                f"| {sum(r['errors'] for r in mine)} | {_join(mine, 'goodput_per_s')} "
                f"| {cpu:g} | {cpu / cpu_floor if cpu_floor else 0:.1f}x | {db_cpu:g} | {loads} |"
            )
    floor = max_rate(runs, "floor", threshold)
    lines.append("")
    for system in SYSTEMS[1:]:
        if not any(r["system"] == system for r in runs):
            continue
        best = max_rate(runs, system, threshold)
        ratio = f"{best / floor:.2f}x" if floor else "n/a"
        lines.append(
            f"Max arrivals/s with P99 <= {threshold:g} ms on every run, error-free: floor "
            f"{floor:g}, {system} {best:g} (ratio {ratio}; bounded by the rates tried)."
        )
    return "\n".join(lines)


def _machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "src"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "commit": commit + ("+dirty" if dirty else ""),
        "cpu": model,
        "cores": len([x for x in Path("/proc/cpuinfo").read_text().split("\n\n") if x.strip()]),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rates", default="25,50,100", help="arrivals per second, comma-separated")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of arrivals per run")
    parser.add_argument(
        "--grace",
        type=float,
        default=10.0,
        help="seconds after the last arrival before unanswered flows are cut",
    )
    parser.add_argument("--repeats", type=int, default=2, help="runs per system and rate")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds at 20/s before timing")
    parser.add_argument("--workers", type=int, default=1, help="bkctl serve --workers")
    parser.add_argument(
        "--layout",
        choices=("inprocess", "worker"),
        default="inprocess",
        help="Bookiji's workers in the server's threads, or `bkctl worker all` beside it",
    )
    parser.add_argument(
        "--src", help="run Bookiji from this checkout's src/ (e.g. a worktree of an older commit)"
    )
    parser.add_argument(
        "--baseline",
        help="also run Bookiji from this checkout's src/ as system 'baseline' (old vs new)",
    )
    parser.add_argument(
        "--baseline-python",
        help="run the baseline with this virtual environment's interpreter (its dependencies)",
    )
    parser.add_argument("--systems", default="floor,bookiji")
    parser.add_argument("--threshold-ms", type=float, help="P99 bound (100 SQLite, 150 PG)")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--env", action="append", default=[], help="NAME=VALUE for the servers (repeatable)"
    )
    parser.add_argument("--port-base", type=int, default=18700)
    parser.add_argument("--out", type=Path, help="JSON file (default var/bench/ab-*.json)")
    parser.add_argument("--markdown", type=Path, help="also write the table here")
    args = parser.parse_args(argv)
    rates = [float(x) for x in args.rates.split(",")]
    systems = [s for s in args.systems.split(",") if s in SYSTEMS]
    if args.baseline and "baseline" not in systems:
        systems.insert(1, "baseline")
    threshold = args.threshold_ms or (100.0 if args.db == "sqlite" else 150.0)
    report: dict[str, Any] = {
        "command": " ".join(["python -m bench.ab", *(argv or sys.argv[1:])]),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": _machine(),
        "threshold_ms": threshold,
        "env": _env(args),
        "runs": [],
    }
    n = 0
    for rate in rates:
        for _ in range(args.repeats):
            for system in systems:
                n += 1
                run = one_run(args, system, rate, n)
                report["runs"].append(run)
                q, c = run["endpoints"]["quote"], run["endpoints"]["confirm"]
                print(
                    f"{system:8} {rate:6g}/s  quote p99 {q['p99_ms']:8.1f} ms  confirm p99 "
                    f"{c['p99_ms']:8.1f} ms  errors {run['errors']:4}  goodput "
                    f"{run['goodput_per_s']:6.1f}/s  cpu {run['server_cpu_ms_per_flow']:6.2f} "
                    f"ms/flow  load {run['load_before'][0]:.2f}->{run['load_after'][0]:.2f}",
                    file=sys.stderr,
                    flush=True,
                )
    report["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    out = args.out or ROOT / "var" / "bench" / f"ab-{args.db}-{int(time.time())}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    text = table(report)
    header = (
        f"{report['command']}  (commit {report['machine']['commit']}, "
        f"{report['started']} to {report['finished']}; JSON {out.name})\n\n"
    )
    print(header + text)
    if args.markdown:
        args.markdown.write_text(header + text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
