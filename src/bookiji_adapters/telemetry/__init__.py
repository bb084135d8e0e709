"""Telemetry adapters: prometheus-client metrics, the access-log write counter, a no-op."""

from bookiji_adapters.telemetry.access_log import count_access_log_writes
from bookiji_adapters.telemetry.null import NullTelemetry
from bookiji_adapters.telemetry.prometheus import PrometheusTelemetry

__all__ = ["NullTelemetry", "PrometheusTelemetry", "count_access_log_writes"]
