"""Ports for time, identifiers, maps and SLI telemetry."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bookiji_core.values import Location


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class Ids(Protocol):
    def new(self, prefix: str) -> str:
        """A new unique identifier such as `bk_...`."""
        ...


class MapProvider(Protocol):
    def zone_for(self, location: Location, label: str = "") -> str:
        """A coarse, public area name for a point; never the exact address. `label` is the
        catalogue's own name for the place, when there is one: an offline provider answers
        with it. The quote path calls this once per candidate kept, between its read and its
        write transactions, and waits for it: an adapter answers quickly (a short timeout, a
        fallback) or raises."""
        ...


class Telemetry(Protocol):
    """SLI events the core reports; adapters turn them into metrics."""

    def webhook_outcome(self, outcome: str) -> None: ...

    def outbox_delivery(self, action: str, outcome: str) -> None: ...

    def notification_delivery(self, channel: str, outcome: str) -> None:
        """One attempt to deliver a notification: `sent`, `retry`, `dlq` or `skipped`."""
        ...

    def access_log_write(self, ok: bool) -> None: ...

    def map_request(self, provider: str, ok: bool) -> None: ...

    def privacy_request(self, kind: str, seconds: float) -> None: ...

    def rollback(self, seconds: float) -> None: ...

    def double_charges(self, count: int) -> None:
        """Reconciliation found `count` double-charged bookings in its latest run."""
        ...

    def map_provider_health(self, provider: str, up: bool) -> None:
        """The latest health check (or call) of a map provider succeeded (`up`) or not."""
        ...

    def rate_limited(self, limit: str) -> None:
        """A request was refused with 429 by the `address` or the `principal` limit."""
        ...

    def overloaded(self) -> None:
        """A request was refused with 503 because the process had too many in flight."""
        ...

    def history_chain(self, chain: str, rows: int, intact: bool) -> None:
        """The latest verification of a history table's hash chain: its length, and whether
        every row, the order and the checkpoint still matched."""
        ...

    def http_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """One HTTP request served, reported by the HTTP edge: `route` is the route template
        (`/api/bookings/{booking_id}`), never the raw path."""
        ...
