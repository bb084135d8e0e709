"""The notification outbox, its delivery log and the contact channels as SQL rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping, and_, bindparam, delete, func, insert, or_, select, update

from bookiji_adapters.sqlalchemy.base import SqlAlchemyRepository, insert_if_absent, upsert
from bookiji_adapters.sqlalchemy.notification_tables import (
    contact_channels,
    notification_deliveries,
    notifications,
)
from bookiji_core.notifications import (
    Channel,
    ChannelPreference,
    Content,
    DeliveryAttempt,
    DeliveryOutcome,
    Notification,
    NotificationKind,
    NotificationState,
    Recipient,
    Role,
)
from bookiji_core.values import BookingId

_n = notifications.c
_d = notification_deliveries.c
_c = contact_channels.c


def _state_row(n: Notification) -> dict[str, Any]:
    return {
        "state": n.state.value,
        "next_attempt_at": n.next_attempt_at,
        "attempts": n.attempts,
        "max_attempts": n.max_attempts,
        "last_error": n.last_error,
        "lease_owner": n.lease_owner,
        "lease_until": n.lease_until,
        "finished_at": n.finished_at,
    }


def _row(n: Notification) -> dict[str, Any]:
    return _state_row(n) | {
        "id": n.id,
        "kind": n.kind.value,
        "booking_id": n.booking_id,
        "principal_id": n.recipient.principal_id,
        "role": n.recipient.role.value,
        "channel": n.recipient.channel.value,
        "address": n.recipient.address,
        "subject": n.content.subject,
        "body": n.content.body,
        "payload": n.content.payload_json,
        "created_at": n.created_at,
    }


def _notification(row: RowMapping) -> Notification:
    return Notification(
        id=row["id"],
        kind=NotificationKind(row["kind"]),
        booking_id=BookingId(row["booking_id"]),
        recipient=Recipient(
            row["principal_id"], Role(row["role"]), Channel(row["channel"]), row["address"]
        ),
        content=Content(row["subject"], row["body"], row["payload"]),
        state=NotificationState(row["state"]),
        created_at=row["created_at"],
        next_attempt_at=row["next_attempt_at"],
        attempts=row["attempts"],
        max_attempts=row["max_attempts"],
        last_error=row["last_error"],
        lease_owner=row["lease_owner"],
        lease_until=row["lease_until"],
        finished_at=row["finished_at"],
    )


# Built once: every booking change and every delivery runs them.
_GET = select(notifications).where(_n.id == bindparam("id"))
_GET_FOR_UPDATE = _GET.with_for_update()
_CHANNEL = select(contact_channels).where(
    _c.principal_id == bindparam("principal_id"), _c.channel == bindparam("channel")
)
_CHANNELS_OF = (
    select(contact_channels)
    .where(_c.principal_id == bindparam("principal_id"))
    .order_by(_c.channel)
)


class SqlAlchemyNotifications(SqlAlchemyRepository):
    def add(self, notification: Notification) -> bool:
        return insert_if_absent(self._conn, notifications, _row(notification), ["id"])

    def get(self, notification_id: str, *, for_update: bool = False) -> Notification | None:
        stmt = _GET_FOR_UPDATE if for_update else _GET
        row = self._conn.execute(stmt, {"id": notification_id}).mappings().first()
        return None if row is None else _notification(row)

    def claim_due(
        self, now: datetime, *, owner: str, lease: timedelta, limit: int
    ) -> list[Notification]:
        due = or_(
            and_(_n.state == NotificationState.QUEUED.value, _n.next_attempt_at <= now),
            and_(_n.state == NotificationState.IN_FLIGHT.value, _n.lease_until <= now),
        )
        # As the payment outbox: PostgreSQL skips rows another claimer locked; SQLite's
        # BEGIN IMMEDIATE already lets one writer in at a time.
        chosen = (
            select(_n.id)
            .where(due)
            .order_by(_n.next_attempt_at, _n.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(notifications)
            .where(_n.id.in_(chosen.scalar_subquery()))
            .values(
                state=NotificationState.IN_FLIGHT.value,
                attempts=_n.attempts + 1,
                lease_owner=owner,
                lease_until=now + lease,
            )
            .returning(notifications)
        )
        claimed = [_notification(row) for row in self._conn.execute(stmt).mappings()]
        return sorted(claimed, key=lambda n: (n.next_attempt_at, n.id))

    def renew_leases(self, ids: Sequence[str], *, owner: str, until: datetime) -> list[str]:
        if not ids:
            return []
        stmt = (
            update(notifications)
            .where(
                _n.id.in_(ids),
                _n.state == NotificationState.IN_FLIGHT.value,
                _n.lease_owner == owner,
            )
            .values(lease_until=until)
            .returning(_n.id)
        )
        held = set(self._conn.scalars(stmt))
        return [i for i in ids if i in held]

    def update(self, notification: Notification) -> None:
        stmt = (
            update(notifications).where(_n.id == notification.id).values(_state_row(notification))
        )
        self._conn.execute(stmt)

    def counts(self) -> Mapping[NotificationState, int]:
        counts = dict.fromkeys(NotificationState, 0)
        for state, count in self._conn.execute(select(_n.state, func.count()).group_by(_n.state)):
            counts[NotificationState(state)] = count
        return counts

    def list_by_state(self, state: NotificationState, limit: int = 100) -> list[Notification]:
        stmt = select(notifications).where(_n.state == state.value).limit(limit)
        return self._list(stmt.order_by(_n.created_at, _n.id))

    def for_booking(self, booking_id: BookingId) -> list[Notification]:
        stmt = select(notifications).where(_n.booking_id == booking_id)
        return self._list(stmt.order_by(_n.created_at, _n.id))

    def for_principal(self, principal_id: str) -> list[Notification]:
        stmt = select(notifications).where(_n.principal_id == principal_id)
        return self._list(stmt.order_by(_n.created_at, _n.id))

    def _list(self, stmt: Any) -> list[Notification]:
        return [_notification(row) for row in self._conn.execute(stmt).mappings()]

    def log_attempt(self, attempt: DeliveryAttempt) -> None:
        row = {
            "notification_id": attempt.notification_id,
            "attempt": attempt.attempt,
            "channel": attempt.channel.value,
            "outcome": attempt.outcome.value,
            "detail": attempt.detail,
            "at": attempt.at,
        }
        self._conn.execute(insert(notification_deliveries), row)

    def attempts_of(self, notification_id: str) -> list[DeliveryAttempt]:
        stmt = (
            select(notification_deliveries)
            .where(_d.notification_id == notification_id)
            .order_by(_d.id)
        )
        return [
            DeliveryAttempt(
                r["notification_id"],
                r["attempt"],
                Channel(r["channel"]),
                DeliveryOutcome(r["outcome"]),
                r["detail"],
                r["at"],
            )
            for r in self._conn.execute(stmt).mappings()
        ]

    def erase_for(self, principal_id: str, placeholder: str) -> int:
        stmt = (
            update(notifications)
            .where(_n.principal_id == principal_id, _n.address != placeholder)
            .values(address=placeholder, subject=placeholder, body=placeholder, payload="{}")
        )
        return self._conn.execute(stmt).rowcount


def _preference(row: RowMapping) -> ChannelPreference:
    return ChannelPreference(
        row["principal_id"],
        Channel(row["channel"]),
        row["address"],
        row["opted_out"],
        row["secret"],
        row["updated_at"],
    )


class SqlAlchemyContactChannels(SqlAlchemyRepository):
    def set(self, preference: ChannelPreference) -> None:
        row = {
            "principal_id": preference.principal_id,
            "channel": preference.channel.value,
            "address": preference.address,
            "opted_out": preference.opted_out,
            "secret": preference.secret,
            "updated_at": preference.updated_at,
        }
        upsert(self._conn, contact_channels, row, ["principal_id", "channel"])

    def get(self, principal_id: str, channel: Channel) -> ChannelPreference | None:
        params = {"principal_id": principal_id, "channel": channel.value}
        row = self._conn.execute(_CHANNEL, params).mappings().first()
        return None if row is None else _preference(row)

    def of(self, principal_id: str) -> list[ChannelPreference]:
        rows = self._conn.execute(_CHANNELS_OF, {"principal_id": principal_id}).mappings()
        return [_preference(row) for row in rows]

    def remove_all(self, principal_id: str) -> int:
        stmt = delete(contact_channels).where(_c.principal_id == principal_id)
        return self._conn.execute(stmt).rowcount
