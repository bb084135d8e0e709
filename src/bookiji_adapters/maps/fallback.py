"""FallbackMapProvider: ask the primary provider; when it fails, answer from the fallback.

Runbook Incident-002 (provider slow or down): every lookup reports which provider answered and
whether it worked (`bookiji_map_requests_total`), and the primary's health
(`bookiji_map_provider_up`). After a primary failure the fallback answers alone for
`retry_after` seconds, so a dead provider does not add its timeout to every lookup.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

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
        primary: MapProvider,
        fallback: MapProvider,
        telemetry: Telemetry,
        *,
        retry_after: float = 30.0,
        force_fallback: Callable[[], bool] = _never,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._primary = primary
        self._fallback = fallback
        self._telemetry = telemetry
        self._retry_after = retry_after
        self._force_fallback = force_fallback  # the `maps.force_fallback` flag, if wired
        self._monotonic = monotonic
        self._primary_down_until: float | None = None

    def zone_for(self, location: Location) -> str:
        if not self._force_fallback() and not self._resting():
            try:
                zone = self._primary.zone_for(location)
            except Exception as exc:  # any failure of the primary: serve from the fallback
                self._primary_failed(exc)
            else:
                self._primary_worked()
                return zone
        return self._from_fallback(location)

    def check_health(self, probe: Location) -> bool:
        """Ask the primary for `probe` and report its health; True if it answered."""
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

    def _from_fallback(self, location: Location) -> str:
        try:
            zone = self._fallback.zone_for(location)
        except Exception:
            self._telemetry.map_request(FALLBACK, False)
            self._telemetry.map_provider_health(FALLBACK, False)
            raise
        self._telemetry.map_request(FALLBACK, True)
        self._telemetry.map_provider_health(FALLBACK, True)
        return zone
