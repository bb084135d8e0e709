"""Map adapters: an offline grid of named cells, and a primary-with-fallback wrapper."""

from bookiji_adapters.maps.fallback import FallbackMapProvider
from bookiji_adapters.maps.grid import GridMapProvider

__all__ = ["FallbackMapProvider", "GridMapProvider"]
