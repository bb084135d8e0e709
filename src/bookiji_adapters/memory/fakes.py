"""Deterministic clock and id fakes, shared by tests and SimCity's virtual time."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment


class SequentialIds:
    """Ids `<prefix>_000001`, `<prefix>_000002` ...: readable and reproducible."""

    def __init__(self, namespace: str = "") -> None:
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self._namespace = namespace

    def new(self, prefix: str) -> str:
        with self._lock:
            n = next(self._counter)
        return f"{prefix}_{self._namespace}{n:06d}"
