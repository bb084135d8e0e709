"""What a run ends with: the verdict it prints, and the outcome a scenario's checks judge."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

import attrs

from bookiji_simcity.invariants import Snapshot
from bookiji_simcity.tap import Call
from bookiji_simcity.traffic import Traffic
from bookiji_simcity.world import EventLog, WebhookEndpoint


@attrs.frozen
class Verdict:
    scenario: str
    seed: int
    ok: bool
    sha256: str
    steps: int
    simulated_seconds: float
    violations: tuple[str, ...]
    replay: str
    counts: dict[str, int]

    def summary(self) -> str:
        word = "PASS" if self.ok else "FAIL"
        return (
            f"{word} {self.scenario} seed={self.seed} steps={self.steps} "
            f"simulated={self.simulated_seconds:.2f}s sha256={self.sha256}"
        )


@attrs.define
class Outcome:
    """What a scenario's own checks may look at once the run is at rest."""

    snapshot: Snapshot
    calls: list[Call]
    traffic: Traffic
    endpoint: WebhookEndpoint
    log: EventLog
    peak_dlq: int
    runbook_drains: int
    start: datetime
    telemetry_counts: Counter[tuple[str, ...]]
    crashes: list[str]

    def seconds(self, moment: datetime) -> float:
        return (moment - self.start).total_seconds()


Check = Callable[[Outcome], list[str]]
"""A scenario's own check: the violations it finds in the outcome (none: it passed)."""


def replay_command(scenario: str, seed: int, extra: str = "") -> str:
    return f"bkctl simcity run --scenario {scenario} --seed {seed}{extra}"
