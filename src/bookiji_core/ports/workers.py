"""Worker heartbeats: each background worker process says, in storage, that it is alive.

Kept in the database rather than in each process, so that one `bkctl worker status` and one
scrape of any API process's /metrics see every worker of the deployment."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

import attrs


@attrs.frozen
class Heartbeat:
    """The latest beat of one worker (a loop name) in one process."""

    worker: str
    host: str
    pid: int
    started_at: datetime
    beat_at: datetime
    concurrency: int = 1

    @property
    def process(self) -> str:
        return f"{self.host}:{self.pid}"

    def age(self, now: datetime) -> timedelta:
        return max(timedelta(0), now - self.beat_at)


class WorkerHeartbeats(Protocol):
    def beat(self, heartbeat: Heartbeat) -> None:
        """Insert or replace the row of (worker, host, pid)."""
        ...

    def remove(self, worker: str, host: str, pid: int) -> None:
        """A worker that stops cleanly takes its row away."""
        ...

    def all(self) -> list[Heartbeat]:
        """Every row, by worker then process."""
        ...

    def forget_before(self, at: datetime) -> int:
        """Delete the rows whose last beat is older than `at` (processes long gone)."""
        ...
