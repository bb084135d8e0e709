"""FallbackMapProvider: ask the primary provider; when it fails, answer from the fallback.

Runbook Incident-002 (provider slow or down): every lookup that reaches a provider reports
which one answered and whether it worked (`bookiji_map_requests_total`), and the primary's
health (`bookiji_map_provider_up`). After a primary failure the fallback answers alone for
`retry_after` seconds, so a dead provider does not add its timeout to every lookup. The
primary's answers are cached per point (`ZoneCache`, for speed only; cache hits reach no
provider and are not counted). `force_fallback` (the `maps.force_fallback` flag) sends every
lookup to the fallback, past the cache; only `check_health` still probes the primary, so that
its recovery shows. With no primary at all (no map service configured) the fallback answers
every lookup and is what the metrics name.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bookiji_adapters.maps.cache import ZoneCache
from bookiji_core.ports import MapProvider, Telemetry
from bookiji_core.values import Location

PRIMARY = "primary"
FALLBACK = "fallback"

log = logging.getLogger(__name__)


def _never() -> bool:
    return False


class FallbackMapProvider:
    def __init__(
        self,
        primary: MapProvider | None,
        fallback: MapProvider,
        telemetry: Telemetry,
        *,
        retry_after: float = 30.0,
        force_fallback: Callable[[], bool] = _never,
        monotonic: Callable[[], float] = time.monotonic,
        cache: ZoneCache | None = None,
    ) -> None:
        self._primary = primary
        self._fallback = fallback
        self._telemetry = telemetry
        self._retry_after = retry_after
        self._force_fallback = force_fallback  # the `maps.force_fallback` flag, if wired
        self._monotonic = monotonic
        self._primary_down_until: float | None = None
        self._cache = cache if cache is not None else ZoneCache(monotonic=monotonic)

    @property
    def has_primary(self) -> bool:
        return self._primary is not None

    def zone_for(self, location: Location, label: str = "") -> str:
        if self._primary is None or self._force_fallback():
            return self._from_fallback(location, label)
        cached = self._cache.get(location)
        if cached is not None:
            return cached
        if not self._resting():
            try:
                zone = self._primary.zone_for(location)
            except Exception as exc:  # any failure of the primary: serve from the fallback
                self._primary_failed(exc)
            else:
                self._primary_worked()
                self._cache.put(location, zone)
                return zone
        return self._from_fallback(location, label)

    def check_health(self, probe: Location) -> bool:
        """Ask the primary for `probe` and report its health; True if it answered. Without a
        primary, the fallback is probed and reported instead."""
        if self._primary is None:
            return self._check_fallback(probe)
        try:
            self._primary.zone_for(probe)
        except Exception as exc:  # a failed probe is the answer, not an error
            self._telemetry.map_provider_health(PRIMARY, False)
            self._primary_down_until = self._monotonic() + self._retry_after
            log.warning("map provider health check failed: %r", exc)
            return False
        self._telemetry.map_provider_health(PRIMARY, True)
        self._primary_down_until = None
        return True

    def close(self) -> None:
        """Release the primary's connections, if it holds any."""
        close = getattr(self._primary, "close", None)
        if callable(close):
            close()

    def _check_fallback(self, probe: Location) -> bool:
        try:
            self._fallback.zone_for(probe)
        except Exception as exc:
            self._telemetry.map_provider_health(FALLBACK, False)
            log.warning("fallback map provider health check failed: %r", exc)
            return False
        self._telemetry.map_provider_health(FALLBACK, True)
        return True

    def _resting(self) -> bool:
        return self._primary_down_until is not None and self._monotonic() < self._primary_down_until

    def _primary_worked(self) -> None:
        self._telemetry.map_request(PRIMARY, True)
        self._telemetry.map_provider_health(PRIMARY, True)
        self._primary_down_until = None

    def _primary_failed(self, exc: Exception) -> None:
        self._telemetry.map_request(PRIMARY, False)
        self._telemetry.map_provider_health(PRIMARY, False)
        self._primary_down_until = self._monotonic() + self._retry_after
        log.warning("map provider failed, using the fallback for %ss: %r", self._retry_after, exc)

    def _from_fallback(self, location: Location, label: str = "") -> str:
        try:
            zone = self._fallback.zone_for(location, label)
        except Exception:
            self._telemetry.map_request(FALLBACK, False)
            self._telemetry.map_provider_health(FALLBACK, False)
            raise
        self._telemetry.map_request(FALLBACK, True)
        self._telemetry.map_provider_health(FALLBACK, True)
        return zone
