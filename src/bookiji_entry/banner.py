"""The SLA banner as an API process reads it: `ops.sla_banner`'s message, read from storage at
most every 5 s per process, so quotes pay no database read for it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from bookiji_core.ports import UnitOfWorkFactory
from bookiji_core.usecases.flags import sla_notice

log = logging.getLogger(__name__)
TTL_SECONDS = 5.0


class SlaBanner:
    """`banner()` is the notice to show now, or None. If a read fails, the last one stands."""

    def __init__(
        self,
        unit_of_work: UnitOfWorkFactory,
        *,
        ttl: float = TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._ttl = ttl
        self._monotonic = monotonic
        self._message: str | None = None
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def __call__(self) -> str | None:
        now = self._monotonic()
        fresh = self._read_at is not None and now - self._read_at < self._ttl
        if fresh or not self._lock.acquire(blocking=self._read_at is None):
            return self._message
        try:
            self._message = sla_notice(self._unit_of_work())
        except Exception:
            log.warning("could not read the SLA banner; keeping the last", exc_info=True)
        finally:
            self._read_at = now
            self._lock.release()
        return self._message
