"""The history check (`bkctl worker history-verify`; in `bkctl serve`'s threads too): walks
every history hash chain every five minutes and reports each to telemetry
(`bookiji_history_chain_intact`, `bookiji_history_chain_rows`), which the page alert
`BookijiHistoryChainBroken` watches (runbook history-chain-broken).

Besides what a walk shows on its own (docs/security.md), it remembers each chain's length
between passes: a chain that got shorter was cut and its checkpoint put back, which a walk
alone cannot see.
"""

from __future__ import annotations

import logging

import attrs

from bookiji_core.ports import Telemetry
from bookiji_entry.parts import Database
from bookiji_entry.workers import Tick, Worker

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 300.0


@attrs.define
class HistoryWatch:
    database: Database
    telemetry: Telemetry
    longest: dict[str, int] = attrs.field(factory=dict)

    def tick(self) -> list[str]:
        """One pass; the problems found (empty: every chain is whole)."""
        problems = []
        for report in self.database.verify_history():
            problem = report.problem
            seen = self.longest.get(report.chain, 0)
            if problem is None and report.rows < seen:
                problem = f"it has {report.rows} rows, {seen} at an earlier check: cut short"
            self.longest[report.chain] = max(seen, report.rows)
            self.telemetry.history_chain(report.chain, report.rows, problem is None)
            if problem is not None:
                log.error("history chain %s is broken: %s", report.chain, problem)
                problems.append(f"{report.chain}: {problem}")
        return problems


def build(database: Database, telemetry: Telemetry) -> Tick:
    # The in-memory store keeps no history: its walk has no chains, and a pass reports none.
    return HistoryWatch(database, telemetry).tick


WORKERS = (Worker("history-verify", INTERVAL_SECONDS, build),)
