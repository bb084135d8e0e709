"""The wall clock, as the core's Clock port."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    """Timezone-aware UTC now, from the operating system."""

    def now(self) -> datetime:
        return datetime.now(UTC)
