"""In-memory notification outbox, delivery log and contact channels, inside the memory UoW."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

import attrs

from bookiji_core.notifications import (
    Channel,
    ChannelPreference,
    DeliveryAttempt,
    Notification,
    NotificationState,
)
from bookiji_core.values import BookingId


@attrs.define
class NotificationTables:
    """The three collections, copied together when a transaction starts (values are frozen,
    so a shallow copy of each is a snapshot a rollback can drop)."""

    outbox: dict[str, Notification] = attrs.field(factory=dict)
    log: list[DeliveryAttempt] = attrs.field(factory=list)
    channels: dict[tuple[str, Channel], ChannelPreference] = attrs.field(factory=dict)

    def __copy__(self) -> NotificationTables:
        return NotificationTables(
            copy.copy(self.outbox), copy.copy(self.log), copy.copy(self.channels)
        )


class _HasTables(Protocol):
    @property
    def notify(self) -> NotificationTables: ...


class _Working(Protocol):
    @property
    def working(self) -> _HasTables: ...


class _Repo:
    def __init__(self, uow: _Working) -> None:
        self._uow = uow

    @property
    def _t(self) -> NotificationTables:
        return self._uow.working.notify


class InMemoryNotifications(_Repo):
    def add(self, notification: Notification) -> bool:
        if notification.id in self._t.outbox:
            return False
        self._t.outbox[notification.id] = notification
        return True

    def get(self, notification_id: str, *, for_update: bool = False) -> Notification | None:
        return self._t.outbox.get(notification_id)

    def claim_due(
        self, now: datetime, *, owner: str, lease: timedelta, limit: int
    ) -> list[Notification]:
        def due(n: Notification) -> bool:
            if n.state is NotificationState.QUEUED:
                return n.next_attempt_at <= now
            expired = n.lease_until is not None and n.lease_until <= now
            return n.state is NotificationState.IN_FLIGHT and expired

        ready = sorted(
            (n for n in self._t.outbox.values() if due(n)), key=lambda n: (n.next_attempt_at, n.id)
        )
        claimed = [
            attrs.evolve(
                n,
                state=NotificationState.IN_FLIGHT,
                attempts=n.attempts + 1,
                lease_owner=owner,
                lease_until=now + lease,
            )
            for n in ready[:limit]
        ]
        for n in claimed:
            self._t.outbox[n.id] = n
        return claimed

    def renew_leases(self, ids: Sequence[str], *, owner: str, until: datetime) -> list[str]:
        held = []
        for notification_id in ids:
            n = self._t.outbox.get(notification_id)
            if n is not None and n.holds_lease(owner):
                self._t.outbox[notification_id] = attrs.evolve(n, lease_until=until)
                held.append(notification_id)
        return held

    def update(self, notification: Notification) -> None:
        self._t.outbox[notification.id] = notification

    def counts(self) -> Mapping[NotificationState, int]:
        counts = dict.fromkeys(NotificationState, 0)
        for n in self._t.outbox.values():
            counts[n.state] += 1
        return counts

    def list_by_state(self, state: NotificationState, limit: int = 100) -> list[Notification]:
        found = sorted(
            (n for n in self._t.outbox.values() if n.state is state),
            key=lambda n: (n.created_at, n.id),
        )
        return found[:limit]

    def for_booking(self, booking_id: BookingId) -> list[Notification]:
        return self._sorted(n for n in self._t.outbox.values() if n.booking_id == booking_id)

    def for_principal(self, principal_id: str) -> list[Notification]:
        return self._sorted(
            n for n in self._t.outbox.values() if n.recipient.principal_id == principal_id
        )

    def log_attempt(self, attempt: DeliveryAttempt) -> None:
        self._t.log.append(attempt)

    def attempts_of(self, notification_id: str) -> list[DeliveryAttempt]:
        return [a for a in self._t.log if a.notification_id == notification_id]

    def erase_for(self, principal_id: str, placeholder: str) -> int:
        erased = 0
        for n in self.for_principal(principal_id):
            if n.recipient.address == placeholder:
                continue
            recipient = attrs.evolve(n.recipient, address=placeholder)
            content = attrs.evolve(
                n.content, subject=placeholder, body=placeholder, payload_json="{}"
            )
            self._t.outbox[n.id] = attrs.evolve(n, recipient=recipient, content=content)
            erased += 1
        return erased

    @staticmethod
    def _sorted(found: Iterable[Notification]) -> list[Notification]:
        return sorted(found, key=lambda n: (n.created_at, n.id))


class InMemoryContactChannels(_Repo):
    def set(self, preference: ChannelPreference) -> None:
        self._t.channels[(preference.principal_id, preference.channel)] = preference

    def get(self, principal_id: str, channel: Channel) -> ChannelPreference | None:
        return self._t.channels.get((principal_id, channel))

    def of(self, principal_id: str) -> list[ChannelPreference]:
        found = [p for (who, _), p in self._t.channels.items() if who == principal_id]
        return sorted(found, key=lambda p: p.channel)

    def remove_all(self, principal_id: str) -> int:
        held = [key for key in self._t.channels if key[0] == principal_id]
        for key in held:
            del self._t.channels[key]
        return len(held)
