"""The append-only access log, as SQL rows (principals: principals.py)."""

from __future__ import annotations

from sqlalchemy import select

from bookiji_adapters.sqlalchemy.base import SqlAlchemyRepository
from bookiji_adapters.sqlalchemy.tables import access_log
from bookiji_core.access import AccessLogEntry


class SqlAlchemyAccessLog(SqlAlchemyRepository):
    """Append-only: no method changes or removes an entry, and the database refuses to."""

    def append(self, entry: AccessLogEntry) -> None:
        row = {
            "subject_id": entry.subject_id,
            "actor_id": entry.actor_id,
            "purpose": entry.purpose,
            "resource": entry.resource,
            "at": entry.at,
        }
        self._chained("access_log", row)

    def for_subject(self, subject_id: str) -> list[AccessLogEntry]:
        a = access_log.c
        stmt = (
            select(a.subject_id, a.actor_id, a.purpose, a.resource, a.at)
            .where(a.subject_id == subject_id)
            .order_by(a.id)
        )
        return [AccessLogEntry(*row) for row in self._history_of("access_log").execute(stmt)]
