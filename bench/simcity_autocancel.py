"""Auto-cancel rate of SimCity runs: how many bookings end cancelled because their vendor did
not confirm within T, over many seeds of one scenario.

    .venv/bin/python bench/simcity_autocancel.py --scenario FUZZ --seeds 200
    .venv/bin/python bench/simcity_autocancel.py --scenario FUZZ --seeds 200 --mail-down

Counts from each run's event log (the same lines `bkctl simcity run --log` prints), so the
script measures any version of the code: `booked bk_...` lines of customers and the
`auto-cancel` worker's `cancelled bk_a, bk_b` lines. `--mail-down` keeps SimCity's mail down
for the whole run: the vendors are never told (the pilot's situation before notifications).
Prints one JSON object; exits 1 if a run failed its verdict."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import timedelta

from bookiji_adapters.memory import ManualClock
from bookiji_entry.bootstrap import simcity_run_wiring
from bookiji_simcity.plan import Plan
from bookiji_simcity.runner import Simulation
from bookiji_simcity.scenarios import plan_for

BOOKED = re.compile(r"\sbooked (bk_\S+)")
AUTO_CANCELLED = re.compile(r"\sauto-cancel\s+cancelled (.+)$")
CONFIRMED = re.compile(r"\sven_\S+\s+confirmed (bk_\S+)")  # a vendor's line


def wiring(clock: ManualClock, seed: int, window: timedelta):  # type: ignore[no-untyped-def]
    return simcity_run_wiring(clock, seed, window)


def run(scenario: str, seed: int, mail_down: bool) -> tuple[bool, set[str], set[str], set[str]]:
    plan: Plan = plan_for(scenario, seed)
    if mail_down:
        plan.mail_outages.append((0.0, 10 * 24 * 3600.0))
    sim = Simulation(scenario, seed, plan, wiring)
    verdict = sim.run()
    booked: set[str] = set()
    cancelled: set[str] = set()
    confirmed: set[str] = set()
    for line in sim.log.lines:
        if found := BOOKED.search(line):
            booked.add(found.group(1))
        elif found := CONFIRMED.search(line):
            confirmed.add(found.group(1))
        elif found := AUTO_CANCELLED.search(line):
            cancelled.update(part.strip() for part in found.group(1).split(","))
    return verdict.ok, booked, cancelled, confirmed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="FUZZ")
    parser.add_argument("--seeds", type=int, default=200, help="seeds 1..N (200)")
    parser.add_argument("--mail-down", action="store_true", help="vendors are never told")
    args = parser.parse_args()
    booked = cancelled = confirmed = failed = 0
    for seed in range(1, args.seeds + 1):
        ok, made, auto, yes = run(args.scenario, seed, args.mail_down)
        booked += len(made)
        cancelled += len(auto & made)
        confirmed += len(yes & made)
        failed += not ok
    rate = cancelled / booked if booked else 0.0
    print(
        json.dumps(
            {
                "scenario": args.scenario,
                "seeds": args.seeds,
                "mail_down": args.mail_down,
                "bookings": booked,
                "auto_cancelled": cancelled,
                "auto_cancel_rate": round(rate, 4),
                "vendor_confirmed": confirmed,
                "failed_runs": failed,
            }
        )
    )
    return 1 if failed and not args.mail_down else 0


if __name__ == "__main__":
    sys.exit(main())
