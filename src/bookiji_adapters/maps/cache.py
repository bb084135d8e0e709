"""ZoneCache: the primary provider's recent answers per point, for speed only.

A vendor's position rarely moves and its zone even less, so one process asks the map service
about a point at most once per `ttl`. Nothing correct depends on the cache: a miss only costs
a lookup, and each process keeps its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from bookiji_core.values import Location


class ZoneCache:
    def __init__(
        self,
        *,
        ttl: float = 3600.0,
        max_entries: int = 10_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl < 0 or max_entries < 1:
            raise ValueError("ttl must be >= 0 and max_entries >= 1")
        self._ttl = ttl
        self._max_entries = max_entries
        self._monotonic = monotonic
        self._entries: dict[Location, tuple[float, str]] = {}
        self._lock = threading.Lock()  # quotes are served from several threads

    def get(self, location: Location) -> str | None:
        with self._lock:
            entry = self._entries.get(location)
            if entry is None:
                return None
            expires, zone = entry
            if self._monotonic() >= expires:
                del self._entries[location]
                return None
            return zone

    def put(self, location: Location, zone: str) -> None:
        if self._ttl == 0:
            return
        with self._lock:
            self._entries.pop(location, None)
            if len(self._entries) >= self._max_entries:
                # Insertion order: the oldest answer goes first.
                del self._entries[next(iter(self._entries))]
            self._entries[location] = (self._monotonic() + self._ttl, zone)

    def __len__(self) -> int:
        return len(self._entries)
