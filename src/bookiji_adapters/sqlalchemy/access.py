"""The append-only access log and the principals (hashed tokens), as SQL rows."""

from __future__ import annotations

from sqlalchemy import bindparam, insert, select

from bookiji_adapters.sqlalchemy.base import SqlAlchemyRepository, upsert
from bookiji_adapters.sqlalchemy.tables import access_log, principals
from bookiji_core.access import AccessLogEntry, Principal, Role

# Every request authenticates: the statement is built once.
_BY_TOKEN_HASH = select(principals.c.role, principals.c.subject_id).where(
    principals.c.token_hash == bindparam("token_hash")
)


class SqlAlchemyAccessLog(SqlAlchemyRepository):
    """Append-only: no method changes or removes an entry, and the database refuses to."""

    def append(self, entry: AccessLogEntry) -> None:
        self._conn.execute(
            insert(access_log),
            {
                "subject_id": entry.subject_id,
                "actor_id": entry.actor_id,
                "purpose": entry.purpose,
                "resource": entry.resource,
                "at": entry.at,
            },
        )

    def for_subject(self, subject_id: str) -> list[AccessLogEntry]:
        a = access_log.c
        stmt = (
            select(a.subject_id, a.actor_id, a.purpose, a.resource, a.at)
            .where(a.subject_id == subject_id)
            .order_by(a.id)
        )
        return [AccessLogEntry(*row) for row in self._conn.execute(stmt)]


class SqlAlchemyPrincipals(SqlAlchemyRepository):
    def add(self, token_hash: str, principal: Principal) -> None:
        row = {
            "token_hash": token_hash,
            "role": principal.role.value,
            "subject_id": principal.subject_id,
        }
        upsert(self._conn, principals, row, ["token_hash"])

    def by_token_hash(self, token_hash: str) -> Principal | None:
        row = self._conn.execute(_BY_TOKEN_HASH, {"token_hash": token_hash}).first()
        return None if row is None else Principal(Role(row.role), row.subject_id)
