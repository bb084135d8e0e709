"""Fuzzing: a random world and fault schedule per seed, run by the deterministic runner.

`fuzz_plan(plan)` draws everything from the plan's seeded stream: a few vendors of every
temper, customers whose sessions start at a handful of shared instants and aim at a couple of
shared slots (so moves coincide and race), cancels, double clicks, declined cards, operator
rollbacks, and faults at every boundary: provider 502s, timeouts after the effect and slow
answers, outages, webhook duplicates, delays and reordering, redeliveries, and worker crashes
before or after any commit and at any relay checkpoint. A failing seed is replayed with
`bkctl simcity run --scenario FUZZ --seed N`.
"""

from __future__ import annotations

import multiprocessing
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from typing import TextIO

import attrs

from bookiji_adapters.simcity.payments import FaultRates
from bookiji_simcity.outcome import Verdict
from bookiji_simcity.plan import Operator, Plan
from bookiji_simcity.population import Temper

INSTANTS = (0.0, 0.0, 0.25, 0.5, 1.0, 2.0, 5.0, 8.0, 30.0)


def _maybe(rng: random.Random, chance: float, high: float) -> float:
    return round(rng.uniform(0, high), 3) if rng.random() < chance else 0.0


def fuzz_plan(plan: Plan) -> None:
    rng = plan.rng
    plan.confirm_within = timedelta(seconds=rng.choice([8, 30, 900]))
    vendors = [
        plan.vendor(reply=plan.temper_reply(rng.choice(list(Temper)), rng.choice(INSTANTS[1:])))
        for _ in range(rng.randint(1, 3))
    ]
    customers = [plan.customer() for _ in range(rng.randint(2, 5))]
    picks: list[str | int] = [0, 1, *vendors]  # a rank among the candidates, or a vendor
    for _ in range(rng.randint(2, 8)):
        cancel = rng.choice([None, None, 0.0, 0.25, 1.0, 5.0, plan.confirm_within.total_seconds()])
        plan.session(
            rng.choice(INSTANTS),
            rng.choice(customers),
            slot=rng.choice([0, 0, 1]),
            pick=rng.choice(picks),
            cancel_after=cancel,
            double_submit=rng.random() < 0.15,
            method="pm_card_chargeDeclined" if rng.random() < 0.1 else "pm_card_visa",
        )
    plan.rates = FaultRates(
        gateway_502=_maybe(rng, 0.5, 0.3),
        timeout_after_effect=_maybe(rng, 0.5, 0.2),
        slow=_maybe(rng, 0.3, 0.1),
        webhook_duplicate=_maybe(rng, 0.5, 0.5),
        webhook_late=_maybe(rng, 0.3, 0.5),
        webhook_late_seconds=60.0,
        webhook_reorder=_maybe(rng, 0.5, 0.5),
    )
    plan.commit_crash_rate = _maybe(rng, 0.5, 0.1)
    plan.checkpoint_crash_rate = _maybe(rng, 0.5, 0.15)
    if rng.random() < 0.15:
        start = rng.uniform(0, 30)
        plan.outages.append((start, start + rng.uniform(30, 400)))
    if rng.random() < 0.2:
        plan.redeliver = rng.randint(1, 3)
    if rng.random() < 0.15:
        plan.operators.append(Operator(rng.uniform(1, 60), "rollback", 0))
    plan.relays = rng.randint(1, 3)
    # A hold, a capture and a release or refund per booking, at worst.
    plan.dlq_bound = 3 * len(plan.sessions)


@attrs.frozen
class FuzzReport:
    seeds: int
    failures: tuple[Verdict, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.failures


RunOne = Callable[[int], Verdict]


class Progress:
    """A plain-text progress bar on stderr: `[#####.....] 512/1000 seeds, 2 failed, 41 s`."""

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 30) -> None:
        self._total = total
        self._stream = stream if stream is not None else sys.stderr
        self._width = width
        self._started = time.monotonic()
        self._last = -1.0

    def update(self, done: int, failed: int, *, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self._last < 0.2:
            return
        self._last = now
        filled = self._width * done // max(1, self._total)
        bar = "#" * filled + "." * (self._width - filled)
        self._stream.write(
            f"\r[{bar}] {done}/{self._total} seeds, {failed} failed, {now - self._started:.0f} s"
        )
        if final:
            self._stream.write("\n")
        self._stream.flush()


def fuzz(
    seeds: Iterable[int],
    run_one: RunOne,
    *,
    jobs: int = 1,
    progress: Progress | None = None,
) -> FuzzReport:
    """Run every seed; a failure is reported by its seed (and the command that replays it)."""
    chosen = list(seeds)
    started = time.monotonic()
    failures: list[Verdict] = []
    done = 0
    for verdict in _verdicts(chosen, run_one, jobs):
        done += 1
        if not verdict.ok:
            failures.append(verdict)
        if progress is not None:
            progress.update(done, len(failures))
    if progress is not None:
        progress.update(done, len(failures), final=True)
    failures.sort(key=lambda v: v.seed)
    return FuzzReport(len(chosen), tuple(failures), time.monotonic() - started)


def _verdicts(seeds: list[int], run_one: RunOne, jobs: int) -> Iterator[Verdict]:
    if jobs <= 1:
        yield from (run_one(seed) for seed in seeds)
        return
    chunk = max(1, min(50, len(seeds) // (jobs * 8) or 1))
    # Spawned, not forked: a fork of a process with threads (a test runner's, a server's)
    # can inherit a held lock and hang.
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=spawn) as pool:
        yield from pool.map(run_one, seeds, chunksize=chunk)
