"""NullTelemetry: the Telemetry port that records nothing (instrumentation switched off)."""

from __future__ import annotations


class NullTelemetry:
    """Every SLI event is dropped; used to measure the cost of the real telemetry."""

    def webhook_outcome(self, outcome: str) -> None:
        pass

    def outbox_delivery(self, action: str, outcome: str) -> None:
        pass

    def notification_delivery(self, channel: str, outcome: str) -> None:
        pass

    def access_log_write(self, ok: bool) -> None:
        pass

    def map_request(self, provider: str, ok: bool) -> None:
        pass

    def privacy_request(self, kind: str, seconds: float) -> None:
        pass

    def rollback(self, seconds: float) -> None:
        pass

    def double_charges(self, count: int) -> None:
        pass

    def map_provider_health(self, provider: str, up: bool) -> None:
        pass

    def http_request(self, route: str, method: str, status: int, seconds: float) -> None:
        pass

    def rate_limited(self, limit: str) -> None:
        pass

    def overloaded(self) -> None:
        pass

    def history_chain(self, chain: str, rows: int, intact: bool) -> None:
        pass
