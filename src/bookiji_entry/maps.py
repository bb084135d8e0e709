"""The map provider a profile uses, and the `maps.force_fallback` flag as that provider reads it.

With BOOKIJI_MAPS_URL (production; any profile may set it): the HTTP map service as primary,
the offline grid as fallback, and the health-check loop of `bookiji_entry.workers.maps`.
Without it (the local, test and simcity defaults): the offline grid alone. It is what the
metrics then report, as `provider="fallback"`; no `primary` series is written, since there is
no primary to be up or down.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from bookiji_adapters.maps import FallbackMapProvider, GridMapProvider, HttpMapProvider
from bookiji_core.ports import Telemetry, UnitOfWorkFactory
from bookiji_core.usecases.flags import flag_state
from bookiji_entry.settings import Profile, Settings

log = logging.getLogger(__name__)
FORCE_FALLBACK = "maps.force_fallback"
# How stale a process's view of the flag may be: a change reaches every process within this.
FLAG_TTL_SECONDS = 5.0


class StoredFlag:
    """A flag's stored value, read at most once every `ttl` seconds by this process, so that
    quotes pay no database read for it. If a read fails, the last value read stands."""

    def __init__(
        self,
        unit_of_work: UnitOfWorkFactory,
        name: str,
        *,
        ttl: float = FLAG_TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._name = name
        self._ttl = ttl
        self._monotonic = monotonic
        self._on = False
        self._read_at: float | None = None
        self._lock = threading.Lock()  # one reader refreshes; the others keep the last value

    def __call__(self) -> bool:
        now = self._monotonic()
        fresh = self._read_at is not None and now - self._read_at < self._ttl
        if fresh or not self._lock.acquire(blocking=self._read_at is None):
            return self._on
        try:
            with self._unit_of_work() as uow:
                self._on = flag_state(uow, self._name).on
        except Exception:
            log.warning("could not read flag %s; keeping %s", self._name, self._on, exc_info=True)
        finally:
            self._read_at = now
            self._lock.release()
        return self._on


def maps_for(
    settings: Settings,
    telemetry: Telemetry,
    unit_of_work: UnitOfWorkFactory,
    *,
    flag_ttl: float = FLAG_TTL_SECONDS,
) -> FallbackMapProvider:
    primary = HttpMapProvider(settings.maps_url) if settings.maps_url else None
    if primary is None and settings.profile is Profile.PRODUCTION:
        log.warning("BOOKIJI_MAPS_URL is not set: quotes show the offline grid's zones")
    return FallbackMapProvider(
        primary,
        GridMapProvider(),
        telemetry,
        force_fallback=StoredFlag(unit_of_work, FORCE_FALLBACK, ttl=flag_ttl),
    )
