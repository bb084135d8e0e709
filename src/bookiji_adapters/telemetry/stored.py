"""Histograms kept in the database: observations of short-lived `bkctl` processes reach
`/metrics` without any shared directory or extra scrape target.

`bkctl rollback`, the drills and the privacy workers may each run as their own process, and a
process that exits at once keeps no metric anyone can scrape. So these observations are added
to counters in the `controls` table (one atomic increment per bucket, sum and count) and the
database collector exports them at scrape time, the same from every API process.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

import attrs
from prometheus_client.core import HistogramMetricFamily
from prometheus_client.utils import floatToGoString

from bookiji_core.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)
PREFIX = "m:"


@attrs.frozen
class StoredHistogram:
    """`key` is short: the names live in a 64-character column."""

    name: str
    documentation: str
    key: str
    buckets: tuple[float, ...]
    label: str | None = None  # at most one label, with its values known in advance
    values: tuple[str, ...] = ("",)

    def _base(self, value: str) -> str:
        return f"{PREFIX}{self.key}:{value}:"

    def observe(self, unit_of_work: UnitOfWorkFactory, seconds: float, value: str = "") -> None:
        """Count one observation; a storage failure is logged, never raised (a metric must
        not fail the operation it measures)."""
        base, now = self._base(value), datetime.now(UTC)
        try:
            with unit_of_work() as uow:
                for le in self.buckets:
                    if seconds <= le:
                        uow.controls.increment(f"{base}{le:g}", 1, now)
                uow.controls.increment(f"{base}count", 1, now)
                uow.controls.increment(f"{base}sum", seconds, now)
                uow.commit()
        except Exception as exc:
            log.warning("metrics: could not store %s=%s: %r", self.name, seconds, exc)

    def family(self, stored: Mapping[str, str] | None) -> HistogramMetricFamily:
        labels: Sequence[str] = [self.label] if self.label else []
        family = HistogramMetricFamily(self.name, self.documentation, labels=labels)
        if stored is None:
            return family
        for value in self.values:
            base = self._base(value)

            def number(suffix: str, base: str = base) -> float:
                return float(stored.get(base + suffix, "0"))

            # prometheus-client ships this helper without annotations.
            buckets = [
                (floatToGoString(le), number(f"{le:g}"))  # type: ignore[no-untyped-call]
                for le in self.buckets
            ]
            buckets.append(("+Inf", number("count")))
            family.add_metric([value] if self.label else [], buckets, number("sum"))
        return family


def families(
    histograms: Iterable[StoredHistogram], stored: Mapping[str, str] | None
) -> list[HistogramMetricFamily]:
    return [h.family(stored) for h in histograms]
