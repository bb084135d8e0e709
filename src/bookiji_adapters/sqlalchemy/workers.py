"""Worker heartbeats as rows: one per (worker, host, pid), replaced at each beat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Integer, String, Table, delete, select

from bookiji_adapters.sqlalchemy.base import SqlAlchemyRepository, upsert
from bookiji_adapters.sqlalchemy.columns import UtcDateTime, metadata
from bookiji_core.ports.workers import Heartbeat

worker_heartbeats = Table(
    "worker_heartbeats",
    metadata,
    Column("worker", String(64), primary_key=True),
    Column("host", String(255), primary_key=True),
    Column("pid", Integer, primary_key=True),
    Column("started_at", UtcDateTime, nullable=False),
    Column("beat_at", UtcDateTime, nullable=False),
    Column("concurrency", Integer, nullable=False),
)
_w = worker_heartbeats.c


class SqlAlchemyWorkerHeartbeats(SqlAlchemyRepository):
    def beat(self, heartbeat: Heartbeat) -> None:
        row = {
            "worker": heartbeat.worker,
            "host": heartbeat.host,
            "pid": heartbeat.pid,
            "started_at": heartbeat.started_at,
            "beat_at": heartbeat.beat_at,
            "concurrency": heartbeat.concurrency,
        }
        upsert(self._conn, worker_heartbeats, row, ["worker", "host", "pid"])

    def remove(self, worker: str, host: str, pid: int) -> None:
        stmt = delete(worker_heartbeats).where(_w.worker == worker, _w.host == host, _w.pid == pid)
        self._conn.execute(stmt)

    def all(self) -> list[Heartbeat]:
        stmt = select(worker_heartbeats).order_by(_w.worker, _w.host, _w.pid)
        return [
            Heartbeat(
                worker=row["worker"],
                host=row["host"],
                pid=row["pid"],
                started_at=row["started_at"],
                beat_at=row["beat_at"],
                concurrency=row["concurrency"],
            )
            for row in self._conn.execute(stmt).mappings()
        ]

    def forget_before(self, at: datetime) -> int:
        result = self._conn.execute(delete(worker_heartbeats).where(_w.beat_at < at))
        return int(result.rowcount)
