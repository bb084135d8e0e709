"""A telemetry fake that counts SLI events in memory, for tests and SimCity's verdicts."""

from __future__ import annotations

import threading
from collections import Counter


class InMemoryTelemetry:
    """Counts every event by (name, labels...); assert on `counts`, not on calls."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, ...]] = Counter()
        self.last_double_charges: int | None = None
        self.map_health: dict[str, bool] = {}
        self.chains: dict[str, tuple[int, bool]] = {}
        self._lock = threading.Lock()

    def _count(self, *key: str) -> None:
        with self._lock:
            self.counts[key] += 1

    def webhook_outcome(self, outcome: str) -> None:
        self._count("webhook", str(outcome))

    def outbox_delivery(self, action: str, outcome: str) -> None:
        self._count("outbox", str(action), outcome)

    def notification_delivery(self, channel: str, outcome: str) -> None:
        self._count("notification", str(channel), str(outcome))

    def access_log_write(self, ok: bool) -> None:
        self._count("access_log", "ok" if ok else "error")

    def map_request(self, provider: str, ok: bool) -> None:
        self._count("map", provider, "ok" if ok else "error")

    def privacy_request(self, kind: str, seconds: float) -> None:
        self._count("privacy", kind)

    def rollback(self, seconds: float) -> None:
        self._count("rollback")

    def double_charges(self, count: int) -> None:
        self.last_double_charges = count

    def map_provider_health(self, provider: str, up: bool) -> None:
        self.map_health[provider] = up

    def http_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self._count("http", route, method, str(status))

    def rate_limited(self, limit: str) -> None:
        self._count("rate_limited", limit)

    def overloaded(self) -> None:
        self._count("overloaded", "in_flight")

    def history_chain(self, chain: str, rows: int, intact: bool) -> None:
        with self._lock:
            self.chains[chain] = (rows, intact)

    def webhook(self, outcome: str) -> int:
        return self.counts[("webhook", outcome)]
