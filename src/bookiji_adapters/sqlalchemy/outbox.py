"""The transactional outbox as SQL rows; claimers lease due messages without sharing any."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping, and_, bindparam, func, insert, or_, select, update

from bookiji_adapters.sqlalchemy.base import SqlAlchemyRepository
from bookiji_adapters.sqlalchemy.tables import outbox_messages
from bookiji_core.payments import OutboxMessage, OutboxState, PaymentAction, PaymentCommand
from bookiji_core.values import BookingId, Money

_m = outbox_messages.c


def _state_row(message: OutboxMessage) -> dict[str, Any]:
    return {
        "state": message.state.value,
        "next_attempt_at": message.next_attempt_at,
        "attempts": message.attempts,
        "max_attempts": message.max_attempts,
        "last_error": message.last_error,
        "lease_owner": message.lease_owner,
        "lease_until": message.lease_until,
        "committed_at": message.committed_at,
    }


def _message_row(message: OutboxMessage) -> dict[str, Any]:
    command = message.command
    return _state_row(message) | {
        "id": message.id,
        "booking_id": command.booking_id,
        "action": command.action.value,
        "amount": command.amount.amount,
        "currency": command.amount.currency,
        "sequence": command.sequence,
        "intent_id": command.intent_id,
        "created_at": message.created_at,
        "correlation_id": message.correlation_id,
    }


def _message(row: RowMapping) -> OutboxMessage:
    return OutboxMessage(
        id=row["id"],
        command=PaymentCommand(
            booking_id=BookingId(row["booking_id"]),
            action=PaymentAction(row["action"]),
            amount=Money(row["currency"], row["amount"]),
            sequence=row["sequence"],
            intent_id=row["intent_id"],
        ),
        state=OutboxState(row["state"]),
        created_at=row["created_at"],
        next_attempt_at=row["next_attempt_at"],
        attempts=row["attempts"],
        max_attempts=row["max_attempts"],
        last_error=row["last_error"],
        lease_owner=row["lease_owner"],
        lease_until=row["lease_until"],
        committed_at=row["committed_at"],
        correlation_id=row["correlation_id"],
    )


# Built once: every confirm, relay round and webhook runs some of them.
_INSERT = insert(outbox_messages)
_GET = select(outbox_messages).where(_m.id == bindparam("message_id"))
_GET_FOR_UPDATE = _GET.with_for_update()
_FOR_BOOKING = (
    select(outbox_messages).where(_m.booking_id == bindparam("of_booking")).order_by(_m.sequence)
)
_STATE_COLUMNS = (
    "state",
    "next_attempt_at",
    "attempts",
    "max_attempts",
    "last_error",
    "lease_owner",
    "lease_until",
    "committed_at",
)
_UPDATE = (
    update(outbox_messages)
    .where(_m.id == bindparam("message_id"))
    .values({name: bindparam(name) for name in _STATE_COLUMNS})
)


class SqlAlchemyOutbox(SqlAlchemyRepository):
    def add(self, message: OutboxMessage) -> None:
        self._conn.execute(_INSERT, _message_row(message))

    def get(self, message_id: str, *, for_update: bool = False) -> OutboxMessage | None:
        stmt = _GET_FOR_UPDATE if for_update else _GET
        row = self._conn.execute(stmt, {"message_id": message_id}).mappings().first()
        if row is not None and for_update:
            self._source.held.locked("outbox_messages", message_id, True)
        return None if row is None else _message(row)

    def get_many(
        self, message_ids: Iterable[str], *, for_update: bool = False
    ) -> dict[str, OutboxMessage]:
        wanted = sorted(set(message_ids))
        if not wanted:
            return {}
        stmt = select(outbox_messages).where(_m.id.in_(wanted)).order_by(_m.id)
        if for_update:  # in id order: two claimers' locks are taken in the same order
            stmt = stmt.with_for_update()
        found = {m.id: m for m in map(_message, self._conn.execute(stmt).mappings())}
        if for_update:
            for message_id in found:
                self._source.held.locked("outbox_messages", message_id, True)
        return found

    def claim_due(
        self, now: datetime, *, owner: str, lease: timedelta, limit: int
    ) -> list[OutboxMessage]:
        due = or_(
            and_(_m.state == OutboxState.QUEUED.value, _m.next_attempt_at <= now),
            and_(_m.state == OutboxState.IN_FLIGHT.value, _m.lease_until <= now),
        )
        # PostgreSQL: rows another claimer has locked are skipped, not waited for or shared.
        # SQLite renders no FOR UPDATE; BEGIN IMMEDIATE already lets one writer in at a time.
        chosen = (
            select(_m.id)
            .where(due)
            .order_by(_m.next_attempt_at, _m.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(outbox_messages)
            .where(_m.id.in_(chosen.scalar_subquery()))
            .values(
                state=OutboxState.IN_FLIGHT.value,
                attempts=_m.attempts + 1,
                lease_owner=owner,
                lease_until=now + lease,
            )
            .returning(outbox_messages)
        )
        claimed = [_message(row) for row in self._conn.execute(stmt).mappings()]
        return sorted(claimed, key=lambda m: (m.next_attempt_at, m.id))

    def renew_leases(self, message_ids: Sequence[str], *, owner: str, until: datetime) -> list[str]:
        if not message_ids:
            return []
        stmt = (
            update(outbox_messages)
            .where(
                _m.id.in_(message_ids),
                _m.state == OutboxState.IN_FLIGHT.value,
                _m.lease_owner == owner,
            )
            .values(lease_until=until)
            .returning(_m.id)
        )
        held = set(self._conn.scalars(stmt))
        return [message_id for message_id in message_ids if message_id in held]

    def release(self, message_ids: Sequence[str], *, owner: str) -> list[str]:
        if not message_ids:
            return []
        stmt = (
            update(outbox_messages)
            .where(
                _m.id.in_(message_ids),
                _m.state == OutboxState.IN_FLIGHT.value,
                _m.lease_owner == owner,
            )
            .values(
                state=OutboxState.QUEUED.value,
                attempts=_m.attempts - 1,  # its claim counted one; nothing was attempted
                lease_owner=None,
                lease_until=None,
            )
            .returning(_m.id)
        )
        released = set(self._conn.scalars(stmt))
        return [message_id for message_id in message_ids if message_id in released]

    def update(self, message: OutboxMessage) -> None:
        params = {"message_id": message.id, **_state_row(message)}
        if self._source.held.seen("outbox_messages", message.id) is True:
            self._source.held.update(_UPDATE, params)  # its row is ours: it cannot miss
        else:
            self._conn.execute(_UPDATE, params)

    def counts(self) -> Mapping[OutboxState, int]:
        counts = dict.fromkeys(OutboxState, 0)
        stmt = select(_m.state, func.count()).group_by(_m.state)
        for state, count in self._conn.execute(stmt):
            counts[OutboxState(state)] = count
        return counts

    def list_by_state(self, state: OutboxState, limit: int = 100) -> list[OutboxMessage]:
        stmt = (
            select(outbox_messages)
            .where(_m.state == state.value)
            .order_by(_m.created_at, _m.id)
            .limit(limit)
        )
        return [_message(row) for row in self._conn.execute(stmt).mappings()]

    def for_booking(self, booking_id: BookingId) -> list[OutboxMessage]:
        rows = self._conn.execute(_FOR_BOOKING, {"of_booking": booking_id}).mappings()
        return [_message(row) for row in rows]

    def for_bookings(
        self, booking_ids: Iterable[BookingId]
    ) -> dict[BookingId, list[OutboxMessage]]:
        found: dict[BookingId, list[OutboxMessage]] = {i: [] for i in booking_ids}
        if not found:
            return found
        stmt = (
            select(outbox_messages)
            .where(_m.booking_id.in_(sorted(found)))
            .order_by(_m.booking_id, _m.sequence)
        )
        for m in map(_message, self._conn.execute(stmt).mappings()):
            found[m.command.booking_id].append(m)
        return found
