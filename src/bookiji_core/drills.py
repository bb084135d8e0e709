"""Drills: the weekly proof that a runbook works. A drill is a list of timed checks against a
target; the time of the last drill that met every one is kept in storage, where the metrics
(and the alert when none ran for 8 days) read it."""

from __future__ import annotations

from datetime import datetime

import attrs

from bookiji_core.ports import UnitOfWork

DRILLS = ("rollback", "privacy")
# Each check, and the drill as a whole, against the runbooks' 60-second target.
TARGET_SECONDS = 60.0


def last_success_control(drill: str) -> str:
    return f"drill:{drill}:last_success"


@attrs.frozen
class Check:
    name: str
    ok: bool
    seconds: float
    detail: str

    @property
    def within_target(self) -> bool:
        return self.seconds <= TARGET_SECONDS


@attrs.frozen
class DrillResult:
    drill: str
    started_at: datetime
    finished_at: datetime
    checks: tuple[Check, ...]

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def passed(self) -> bool:
        return (
            bool(self.checks)
            and all(c.ok and c.within_target for c in self.checks)
            and (self.seconds <= TARGET_SECONDS)
        )


def record_drill(uow: UnitOfWork, result: DrillResult) -> None:
    """Keep the time of a drill that passed; a failed drill leaves the last success alone."""
    if not result.passed:
        return
    with uow:
        name = last_success_control(result.drill)
        uow.controls.set(name, result.finished_at.isoformat(), result.finished_at)
        uow.commit()


def last_successes(stored: dict[str, str]) -> dict[str, float]:
    """Each known drill's last success as a Unix time (0 if it never passed), from
    `controls.with_prefix("drill:")`."""
    found: dict[str, float] = {}
    for drill in DRILLS:
        value = stored.get(last_success_control(drill))
        found[drill] = datetime.fromisoformat(value).timestamp() if value else 0.0
    return found
