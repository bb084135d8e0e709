"""GET /api/status: the SLA banner, each SLO against its objective, the queues."""

from __future__ import annotations

from typing import Literal

import msgspec

from bookiji_entry.shapes.common import Timestamp


class SloRow(msgspec.Struct):
    name: str
    objective: str
    value: float | None
    unit: str
    met: bool | None


class PrivacyQueue(msgspec.Struct):
    open: int
    oldest_age_seconds: float


class ServiceStatus(msgspec.Struct, forbid_unknown_fields=True):
    """The service's status now: degraded while the banner is on or an SLO is breached."""

    status: Literal["ok", "degraded"]
    banner: str | None
    checked_at: Timestamp
    slos: list[SloRow]
    breached: list[str]
    outbox: dict[str, int]
    notifications: dict[str, int]
    privacy_queue: PrivacyQueue
