"""The daemon's moves on the service's wall clock, run by its thread when due."""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from bookiji_core.ports import Clock


class WallScheduler:
    """Moves scheduled on the service's clock, run by the daemon's thread when due."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._heap: list[tuple[datetime, int, Callable[[], object]]] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()

    def after(self, seconds: float, name: str, action: Callable[[], object]) -> None:
        at = self._clock.now() + timedelta(seconds=seconds)
        with self._lock:
            heapq.heappush(self._heap, (at, next(self._seq), action))

    def due(self) -> list[Callable[[], object]]:
        now = self._clock.now()
        found = []
        with self._lock:
            while self._heap and self._heap[0][0] <= now:
                found.append(heapq.heappop(self._heap)[2])
        return found

    def __len__(self) -> int:
        return len(self._heap)

    def clear(self) -> None:
        with self._lock:
            self._heap.clear()
