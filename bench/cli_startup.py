"""Wall time of `bkctl` invocations, end to end, as a shell runs them (a fresh process each).

    .venv/bin/python bench/cli_startup.py --runs 10 --json var/cli-startup.json
    .venv/bin/python bench/cli_startup.py --src ../old/src      # another checkout's code

Migrates a fresh SQLite file in a temporary directory once, then runs each command `--runs`
times: `bkctl --help`, `bkctl --version`, `bkctl outbox status` (opens and reads the
database) and `bkctl db upgrade` (already at head: reads the schema version). Records the
median and minimum wall time and the user+system CPU of each (from os.wait4), the import
time of the parser alone (`python -X importtime`), and the load average before and after.
Prints a markdown table. Goals (issue 10): --help <= 0.3 s, a command that reads the
database <= 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BKCTL = Path(sys.executable).with_name("bkctl")
COMMANDS = (
    ("bkctl --help", ["--help"], 0.3),
    ("bkctl --version", ["--version"], 0.3),
    ("bkctl outbox status", ["outbox", "status"], 1.0),
    ("bkctl db upgrade", ["db", "upgrade"], 1.0),
)


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {child.stderr.read().decode()[-500:]}")
    child.stderr.close()
    return wall, usage.ru_utime + usage.ru_stime


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--src", help="put this src/ first on PYTHONPATH (old code)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, BOOKIJI_DATABASE_URL=f"sqlite:///{tmp}/cli.db")
        if args.src:
            env["PYTHONPATH"] = str(Path(args.src).resolve())
        subprocess.run([BKCTL, "db", "upgrade"], env=env, check=True, capture_output=True)
        load_before = os.getloadavg()
        results: list[dict[str, Any]] = []
        for label, words, goal in COMMANDS:
            runs = [timed([str(BKCTL), *words], env) for _ in range(args.runs)]
            walls = [w for w, _cpu in runs]
            results.append(
                {
                    "command": label,
                    "median_s": round(statistics.median(walls), 3),
                    "min_s": round(min(walls), 3),
                    "cpu_median_s": round(statistics.median(c for _w, c in runs), 3),
                    "goal_s": goal,
                }
            )
        imports = import_ms(env)
        load_after = os.getloadavg()
    print(f"{args.runs} runs each; `import bookiji_entry.cli` {imports:.0f} ms (-X importtime)")
    print(
        f"load average {' '.join(f'{x:.2f}' for x in load_before)} before, "
        f"{' '.join(f'{x:.2f}' for x in load_after)} after"
    )
    print("\n| command | median s | min s | CPU s (median) | goal s |")
    print("|---|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| `{r['command']}` | {r['median_s']:.3f} | {r['min_s']:.3f} | "
            f"{r['cpu_median_s']:.3f} | {r['goal_s']} |"
        )
    if args.json is not None:
        summary = {"import_ms": imports, "loadavg": [load_before, load_after], "results": results}
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
