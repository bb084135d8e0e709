"""Notification ports: the Notifier that hands one to a channel, and their storage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bookiji_core.notifications import (
    Channel,
    ChannelPreference,
    DeliveryAttempt,
    Envelope,
    Notification,
    NotificationState,
)
from bookiji_core.values import BookingId


class Notifier(Protocol):
    def send(self, envelope: Envelope) -> None:
        """Deliver the notification, or raise DeliveryFailed (with `retryable`). An adapter
        answers within its own timeout, shorter than the delivery lease. A redelivery of the
        same notification carries the same id, so a receiver can de-duplicate."""
        ...


class Notifications(Protocol):
    """The notification outbox and its delivery log (append-only)."""

    def add(self, notification: Notification) -> bool:
        """Insert unless a notification with the same id exists; True if it was added."""
        ...

    def get(self, notification_id: str, *, for_update: bool = False) -> Notification | None: ...

    def claim_due(
        self, now: datetime, *, owner: str, lease: timedelta, limit: int
    ) -> list[Notification]:
        """As Outbox.claim_due: up to `limit` due notifications (queued and due, or in flight
        with an expired lease) marked in flight for `owner`, each claim counted as an attempt;
        concurrent claimers never share one (`FOR UPDATE SKIP LOCKED` or an equivalent)."""
        ...

    def renew_leases(self, ids: Sequence[str], *, owner: str, until: datetime) -> list[str]: ...

    def update(self, notification: Notification) -> None: ...

    def counts(self) -> Mapping[NotificationState, int]: ...

    def list_by_state(self, state: NotificationState, limit: int = 100) -> list[Notification]: ...

    def for_booking(self, booking_id: BookingId) -> list[Notification]: ...

    def for_principal(self, principal_id: str) -> list[Notification]: ...

    def log_attempt(self, attempt: DeliveryAttempt) -> None: ...

    def attempts_of(self, notification_id: str) -> list[DeliveryAttempt]: ...

    def erase_for(self, principal_id: str, placeholder: str) -> int:
        """Overwrite the address, subject, body and payload of every notification to the
        principal (a deletion request); returns how many rows changed."""
        ...


class ContactChannels(Protocol):
    """Each person's address per channel and whether they opted out of it."""

    def set(self, preference: ChannelPreference) -> None:
        """Insert or replace the person's preference for that channel."""
        ...

    def get(self, principal_id: str, channel: Channel) -> ChannelPreference | None: ...

    def of(self, principal_id: str) -> list[ChannelPreference]: ...

    def remove_all(self, principal_id: str) -> int: ...
