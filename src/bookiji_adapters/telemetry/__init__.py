"""Telemetry adapters: prometheus-client metrics, the access-log write counter, a no-op.

The counter and the no-op need only the core; `PrometheusTelemetry` needs prometheus-client,
so it is imported when it is first asked for (a `bkctl` command that reports nothing never
loads the library).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bookiji_adapters.telemetry.access_log import count_access_log_writes
from bookiji_adapters.telemetry.null import NullTelemetry

if TYPE_CHECKING:
    from bookiji_adapters.telemetry.prometheus import PrometheusTelemetry

__all__ = ["NullTelemetry", "PrometheusTelemetry", "count_access_log_writes"]


def __getattr__(name: str) -> object:
    if name == "PrometheusTelemetry":
        from bookiji_adapters.telemetry.prometheus import PrometheusTelemetry

        return PrometheusTelemetry
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
