"""Worker heartbeats: written by each worker process, read by `bkctl worker status` and by
/metrics (`bookiji_worker_heartbeat_timestamp_seconds`, docs/processes.md).

A row per (worker, host, pid), replaced at most once a second per worker; a worker that stops
cleanly removes its rows; rows silent for an hour (SIGKILLed processes) are forgotten by the
next worker that starts."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import attrs

from bookiji_core.ports import Clock, Heartbeat, UnitOfWorkFactory

STALE_AFTER = timedelta(seconds=60)
FORGET_AFTER = timedelta(hours=1)
MIN_SECONDS_BETWEEN_WRITES = 1.0


@attrs.define
class HeartbeatWriter:
    """The heartbeats of one process's workers."""

    unit_of_work: UnitOfWorkFactory
    clock: Clock
    concurrency: dict[str, int]
    host: str = attrs.field(factory=socket.gethostname)
    pid: int = attrs.field(factory=os.getpid)
    started_at: datetime | None = None
    _last: dict[str, float] = attrs.field(factory=dict)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def start(self) -> None:
        self.started_at = self.clock.now()
        with self.unit_of_work() as uow:
            uow.workers.forget_before(self.started_at - FORGET_AFTER)
            for name in self.concurrency:
                uow.workers.beat(self._heartbeat(name, self.started_at))
            uow.commit()

    def beat_for(self, name: str) -> Callable[[], None]:
        return lambda: self.beat(name)

    def beat(self, name: str) -> None:
        with self._lock:
            now = time.monotonic()
            if now - self._last.get(name, -MIN_SECONDS_BETWEEN_WRITES) < MIN_SECONDS_BETWEEN_WRITES:
                return
            self._last[name] = now
        with self.unit_of_work() as uow:
            uow.workers.beat(self._heartbeat(name, self.clock.now()))
            uow.commit()

    def close(self) -> None:
        with self.unit_of_work() as uow:
            for name in self.concurrency:
                uow.workers.remove(name, self.host, self.pid)
            uow.commit()

    def _heartbeat(self, name: str, at: datetime) -> Heartbeat:
        return Heartbeat(
            worker=name,
            host=self.host,
            pid=self.pid,
            started_at=self.started_at or at,
            beat_at=at,
            concurrency=self.concurrency[name],
        )


@attrs.frozen
class WorkerHealth:
    """What `bkctl worker status` shows: every heartbeat, and the workers none of whose
    processes has beaten within `stale_after` (nobody is doing that job)."""

    now: datetime
    beats: list[Heartbeat]
    stale_after: timedelta

    def is_stale(self, beat: Heartbeat) -> bool:
        return beat.age(self.now) > self.stale_after

    @property
    def stale_workers(self) -> list[str]:
        names = sorted({b.worker for b in self.beats})
        return [n for n in names if all(self.is_stale(b) for b in self.beats if b.worker == n)]

    def rows(self) -> Iterable[dict[str, object]]:
        for beat in self.beats:
            yield {
                "worker": beat.worker,
                "pid": beat.pid,
                "host": beat.host,
                "concurrency": beat.concurrency,
                "started_at": beat.started_at.isoformat(),
                "last_beat": beat.beat_at.isoformat(),
                "age_seconds": round(beat.age(self.now).total_seconds(), 1),
                "stale": self.is_stale(beat),
            }


def read_health(uow: UnitOfWorkFactory, clock: Clock, stale_after: timedelta) -> WorkerHealth:
    with uow().read_only() as unit:
        beats = unit.workers.all()
    return WorkerHealth(clock.now(), beats, stale_after)
