"""Map adapters: an HTTP map service, an offline grid of named cells, and a primary-with-fallback
wrapper that caches the primary's answers."""

from bookiji_adapters.maps.cache import ZoneCache
from bookiji_adapters.maps.fallback import FallbackMapProvider
from bookiji_adapters.maps.grid import GridMapProvider
from bookiji_adapters.maps.http_provider import HttpMapProvider, MapLookupFailed

__all__ = [
    "FallbackMapProvider",
    "GridMapProvider",
    "HttpMapProvider",
    "MapLookupFailed",
    "ZoneCache",
]
