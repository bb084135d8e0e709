"""SqlAlchemyPrivacy: tombstones of deletion requests, and a person's rows across the schema.

The tombstone table and the two lookup indexes are declared here, beside the only code that
uses them (migration 0004 creates them), on the schema's shared metadata.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Index, RowMapping, String, Table, Text, bindparam, delete, select
from sqlalchemy import update as sql_update

from bookiji_adapters.sqlalchemy.columns import UtcDateTime
from bookiji_adapters.sqlalchemy.idempotency import _record
from bookiji_adapters.sqlalchemy.privacy_bulk import SqlAlchemyPrivacyBulk
from bookiji_adapters.sqlalchemy.privacy_queue import SqlAlchemyPrivacyQueue
from bookiji_adapters.sqlalchemy.quotes import _quote
from bookiji_adapters.sqlalchemy.scrub import scrub_after_erasure
from bookiji_adapters.sqlalchemy.tables import (
    booking_audit,
    idempotency_keys,
    metadata,
    principals,
    quotes,
    vendor_windows,
)
from bookiji_core.access import Principal, Role
from bookiji_core.idempotency import IdempotencyRecord
from bookiji_core.privacy import SubjectKind, Tombstone, TombstoneState
from bookiji_core.quoting import Quote
from bookiji_core.values import CustomerId, Interval, VendorId

privacy_tombstones = Table(
    "privacy_tombstones",
    metadata,
    Column("subject_id", String(64), primary_key=True),
    Column("subject_kind", String(16), nullable=False),
    Column("requested_by", String(64), nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("shredded_at", UtcDateTime, nullable=True),
    Index(None, "state", "requested_at"),
)
Index("ix_quotes_customer_id", quotes.c.customer_id)
Index("ix_booking_audit_actor_id", booking_audit.c.actor_id)

_t = privacy_tombstones.c


def _tombstone_row(tombstone: Tombstone) -> dict[str, Any]:
    return {
        "subject_id": tombstone.subject_id,
        "subject_kind": tombstone.subject_kind.value,
        "requested_by": tombstone.requested_by,
        "requested_at": tombstone.requested_at,
        "reason": tombstone.reason,
        "state": tombstone.state.value,
        "shredded_at": tombstone.shredded_at,
    }


def _tombstone(row: RowMapping) -> Tombstone:
    return Tombstone(
        subject_id=row["subject_id"],
        subject_kind=SubjectKind(row["subject_kind"]),
        requested_by=row["requested_by"],
        requested_at=row["requested_at"],
        reason=row["reason"],
        state=TombstoneState(row["state"]),
        shredded_at=row["shredded_at"],
    )


# Built once: every booking change that notifies someone reads it.
_TOMBSTONE = select(privacy_tombstones).where(_t.subject_id == bindparam("subject_id"))


class SqlAlchemyPrivacy(SqlAlchemyPrivacyQueue, SqlAlchemyPrivacyBulk):
    def add_tombstone(self, tombstone: Tombstone) -> None:
        self._conn.execute(privacy_tombstones.insert().values(_tombstone_row(tombstone)))

    def tombstone(self, subject_id: str) -> Tombstone | None:
        row = self._conn.execute(_TOMBSTONE, {"subject_id": subject_id}).mappings().first()
        return None if row is None else _tombstone(row)

    def claim(self, subject_id: str) -> Tombstone | None:
        # SKIP LOCKED: a second shredder moves on to the next subject instead of waiting.
        # (SQLite renders no FOR UPDATE; its BEGIN IMMEDIATE already serialises writers.)
        if self._conn.dialect.name == "sqlite":
            # Zero the bytes of overwritten values in the file, whatever the SQLite build's
            # default: an erased email must not survive in a page's free space.
            self._conn.exec_driver_sql("PRAGMA secure_delete = ON")
        # Once the erasure commits, the old values leave the WAL (SQLite) or are made
        # reusable by VACUUM (PostgreSQL): scrub.py.
        self._source.after_commit(scrub_after_erasure)
        stmt = (
            select(privacy_tombstones)
            .where(_t.subject_id == subject_id, _t.state == TombstoneState.PENDING.value)
            .with_for_update(skip_locked=True)
        )
        row = self._conn.execute(stmt).mappings().first()
        return None if row is None else _tombstone(row)

    def update_tombstone(self, tombstone: Tombstone) -> None:
        row = _tombstone_row(tombstone)
        del row["subject_id"]
        stmt = sql_update(privacy_tombstones).where(_t.subject_id == tombstone.subject_id)
        self._conn.execute(stmt.values(row))

    def pending(self, limit: int) -> list[Tombstone]:
        stmt = (
            select(privacy_tombstones)
            .where(_t.state == TombstoneState.PENDING.value)
            .order_by(_t.requested_at, _t.subject_id)
            .limit(limit)
        )
        return [_tombstone(row) for row in self._conn.execute(stmt).mappings()]

    def quotes_of(self, customer_id: CustomerId) -> list[Quote]:
        q = quotes.c
        stmt = select(quotes).where(q.customer_id == customer_id).order_by(q.created_at, q.id)
        return [_quote(row) for row in self._conn.execute(stmt).mappings()]

    def windows_of(self, vendor_id: VendorId) -> list[Interval]:
        w = vendor_windows.c
        stmt = (
            select(w.starts_at, w.ends_at)
            .where(w.vendor_id == vendor_id)
            .order_by(w.starts_at, w.id)
        )
        return [Interval(start, end) for start, end in self._conn.execute(stmt)]

    def principals_of(self, subject_id: str) -> list[Principal]:
        p = principals.c
        stmt = select(p.role, p.subject_id).where(p.subject_id == subject_id).order_by(p.role)
        return [Principal(Role(role), sid) for role, sid in self._conn.execute(stmt)]

    def revoke_principals(self, subject_id: str) -> int:
        stmt = delete(principals).where(principals.c.subject_id == subject_id)
        return self._conn.execute(stmt.execution_options(preserve_rowcount=True)).rowcount

    def idempotency_of(self, scope: str) -> list[IdempotencyRecord]:
        k = idempotency_keys.c
        stmt = select(idempotency_keys).where(k.scope == scope).order_by(k.created_at, k.key)
        return [_record(row) for row in self._conn.execute(stmt).mappings()]

    def erase_audit_reasons(self, actor_id: str, placeholder: str) -> int:
        a = booking_audit.c
        stmt = (
            sql_update(booking_audit)
            .where(a.actor_id == actor_id, a.reason != placeholder)
            .values(reason=placeholder, reason_salt=None)
        )
        return self._conn.execute(stmt.execution_options(preserve_rowcount=True)).rowcount
