"""The privacy request queue as SQL rows (revision 0010), mixed into SqlAlchemyPrivacy."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, Index, Integer, RowMapping, String, Table, Text, or_, select
from sqlalchemy import update as sql_update

from bookiji_adapters.sqlalchemy.base import SqlAlchemyRepository
from bookiji_adapters.sqlalchemy.columns import Id, UtcDateTime, metadata
from bookiji_core.privacy_queue import PrivacyRequest, RequestKind, RequestState

privacy_requests = Table(
    "privacy_requests",
    metadata,
    Column("id", Id, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("subject_id", Id, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("requested_by", Id, nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("lease_owner", Text, nullable=True),
    Column("lease_until", UtcDateTime, nullable=True),
    Column("started_at", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("error", Text, nullable=True),
    Column("result", Text, nullable=True),
    Index("ix_privacy_requests_serving", "state", "priority", "requested_at"),
    Index("ix_privacy_requests_subject", "subject_id"),
)
_r = privacy_requests.c
_OPEN = (RequestState.QUEUED.value, RequestState.RUNNING.value)


def _row(request: PrivacyRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "kind": request.kind.value,
        "subject_id": request.subject_id,
        "priority": request.priority,
        "requested_by": request.requested_by,
        "requested_at": request.requested_at,
        "reason": request.reason,
        "state": request.state.value,
        "attempts": request.attempts,
        "lease_owner": request.lease_owner,
        "lease_until": request.lease_until,
        "started_at": request.started_at,
        "finished_at": request.finished_at,
        "error": request.error,
        "result": request.result,
    }


def _request(row: RowMapping) -> PrivacyRequest:
    fields = dict(row)
    fields["kind"] = RequestKind(fields["kind"])
    fields["state"] = RequestState(fields["state"])
    return PrivacyRequest(**fields)


_SERVING_ORDER = (_r.priority, _r.requested_at, _r.id)


class SqlAlchemyPrivacyQueue(SqlAlchemyRepository):
    def add_request(self, request: PrivacyRequest) -> None:
        self._conn.execute(privacy_requests.insert().values(_row(request)))

    def request(self, request_id: str) -> PrivacyRequest | None:
        row = self._conn.execute(select(privacy_requests).where(_r.id == request_id)).mappings()
        found = row.first()
        return None if found is None else _request(found)

    def claim_request(
        self, now: datetime, *, owner: str, lease: timedelta
    ) -> PrivacyRequest | None:
        # SKIP LOCKED: a second worker takes the next request instead of waiting on this one.
        # (SQLite renders no FOR UPDATE; its BEGIN IMMEDIATE already serialises writers.)
        # Open, and not resting: queued with no lease (or a retry time passed), or running
        # on a lease that expired (its worker died).
        due = _r.state.in_(_OPEN) & or_(_r.lease_until.is_(None), _r.lease_until <= now)
        stmt = (
            select(privacy_requests)
            .where(due)
            .order_by(*_SERVING_ORDER)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        row = self._conn.execute(stmt).mappings().first()
        if row is None:
            return None
        request = _request(row)
        request.claimed(owner, now, lease)
        self.update_request(request)
        return request

    def update_request(self, request: PrivacyRequest) -> None:
        row = _row(request)
        del row["id"]
        self._conn.execute(sql_update(privacy_requests).where(_r.id == request.id).values(row))

    def open_requests(self, limit: int) -> list[PrivacyRequest]:
        stmt = (
            select(privacy_requests)
            .where(_r.state.in_(_OPEN))
            .order_by(*_SERVING_ORDER)
            .limit(limit)
        )
        return [_request(row) for row in self._conn.execute(stmt).mappings()]

    def open_request_for(self, kind: str, subject_id: str) -> PrivacyRequest | None:
        stmt = (
            select(privacy_requests)
            .where(_r.state.in_(_OPEN), _r.kind == kind, _r.subject_id == subject_id)
            .order_by(*_SERVING_ORDER)
            .limit(1)
        )
        row = self._conn.execute(stmt).mappings().first()
        return None if row is None else _request(row)

    def erase_results(self, subject_id: str, placeholder: str) -> int:
        stmt = (
            sql_update(privacy_requests)
            .where(_r.subject_id == subject_id, _r.result.is_not(None), _r.result != placeholder)
            .values(result=placeholder)
        )
        return self._conn.execute(stmt.execution_options(preserve_rowcount=True)).rowcount
