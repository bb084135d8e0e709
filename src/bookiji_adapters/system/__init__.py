"""System adapters: the real clock and random identifiers."""

from bookiji_adapters.system.clock import SystemClock
from bookiji_adapters.system.ids import RandomIds

__all__ = ["RandomIds", "SystemClock"]
