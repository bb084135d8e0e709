"""Idempotency keys as SQL rows: the primary key makes a second start of one key impossible."""

from __future__ import annotations

from typing import Any

from sqlalchemy import RowMapping, bindparam, delete, select

from bookiji_adapters.sqlalchemy.base import SqlAlchemyRepository, insert_if_absent, upsert
from bookiji_adapters.sqlalchemy.tables import idempotency_keys
from bookiji_core.errors import IdempotencyInProgress
from bookiji_core.idempotency import IdempotencyRecord, KeyState

_k = idempotency_keys.c


def _record_row(record: IdempotencyRecord) -> dict[str, Any]:
    return {
        "scope": record.scope,
        "key": record.key,
        "fingerprint": record.fingerprint,
        "state": record.state.value,
        "created_at": record.created_at,
        "expires_at": record.expires_at,
        "locked_until": record.locked_until,
        "booking_id": record.booking_id,
        "error_code": record.error_code,
        "error_message": record.error_message,
    }


def _record(row: RowMapping) -> IdempotencyRecord:
    return IdempotencyRecord(
        scope=row["scope"],
        key=row["key"],
        fingerprint=row["fingerprint"],
        state=KeyState(row["state"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        locked_until=row["locked_until"],
        booking_id=row["booking_id"],
        error_code=row["error_code"],
        error_message=row["error_message"],
    )


_GET = (
    select(idempotency_keys)
    .where(_k.scope == bindparam("scope"), _k.key == bindparam("key"))
    .with_for_update()
)


class SqlAlchemyIdempotencyKeys(SqlAlchemyRepository):
    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        # Locked on PostgreSQL: a read of a key is always followed by writing it in the same
        # transaction, and two requests must not both decide to take over one stale key.
        row = self._conn.execute(_GET, {"scope": scope, "key": key}).mappings().first()
        return None if row is None else _record(row)

    def insert(self, record: IdempotencyRecord) -> None:
        if not insert_if_absent(
            self._conn, idempotency_keys, _record_row(record), ["scope", "key"]
        ):
            raise IdempotencyInProgress("a request with this Idempotency-Key is already running")

    def replace(self, record: IdempotencyRecord) -> None:
        upsert(self._conn, idempotency_keys, _record_row(record), ["scope", "key"])

    def delete(self, scope: str, key: str) -> None:
        self._conn.execute(delete(idempotency_keys).where(_k.scope == scope, _k.key == key))
