"""The map health check (`bkctl worker maps-health`; in `bkctl serve`'s threads too): probes
the map provider every 30 s so that `bookiji_map_provider_up` is fresh with no quote traffic,
and so that a recovered primary is used again without waiting for a lookup to try it.

It probes the primary even while `maps.force_fallback` is on (one lookup per pass), so that
the runbook can see the primary recover before turning the flag off. Without a map service
configured it probes the offline fallback.
"""

from __future__ import annotations

import logging
from functools import partial

from bookiji_adapters.maps import FallbackMapProvider
from bookiji_core.values import Location
from bookiji_entry.workers import Tick, Worker

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 30.0
# Downtown Vancouver, the pilot's city: a point any map service can name.
PROBE = Location(49.2827, -123.1207)


def tick(maps: FallbackMapProvider) -> bool:
    return maps.check_health(PROBE)


def build(maps: FallbackMapProvider) -> Tick:
    return partial(tick, maps)


WORKERS = (Worker("maps-health", INTERVAL_SECONDS, build),)
