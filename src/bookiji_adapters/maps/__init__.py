"""Map adapters: an HTTP map service, an offline grid of named cells, and a primary-with-fallback
wrapper that caches the primary's answers.

The grid, the cache and the fallback need only the standard library (the core install,
docs/library.md); the HTTP provider needs httpx (the `bookiji[server]` extra), so it is
imported when it is first asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bookiji_adapters.maps.cache import ZoneCache
from bookiji_adapters.maps.fallback import FallbackMapProvider
from bookiji_adapters.maps.grid import GridMapProvider

if TYPE_CHECKING:
    from bookiji_adapters.maps.http_provider import HttpMapProvider, MapLookupFailed

__all__ = [
    "FallbackMapProvider",
    "GridMapProvider",
    "HttpMapProvider",
    "MapLookupFailed",
    "ZoneCache",
]


def __getattr__(name: str) -> object:
    if name in ("HttpMapProvider", "MapLookupFailed"):
        from bookiji_adapters.maps import http_provider

        return getattr(http_provider, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
