"""Notifications: what a booking change tells whom, over which channel, and its delivery state."""

from __future__ import annotations

import enum
import hashlib
import json
from datetime import datetime
from typing import Any

import attrs

from bookiji_core.payments import DEFAULT_MAX_ATTEMPTS, retry_delay
from bookiji_core.values import BookingId


class NotificationKind(enum.StrEnum):
    """The booking changes a person is told of (issue: pilot, item 3)."""

    AWAITING_VENDOR = "booking.awaiting_vendor"
    CONFIRMED = "booking.confirmed"
    CANCELLED = "booking.cancelled"
    AUTO_CANCELLED = "booking.auto_cancelled"
    REFUNDED = "booking.refunded"
    PAYMENT_FAILED = "booking.payment_failed"
    CONFIRM_REMINDER = "booking.confirm_reminder"  # an operator nudges a late vendor


class Channel(enum.StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class Role(enum.StrEnum):
    CUSTOMER = "customer"
    VENDOR = "vendor"


class NotificationState(enum.StrEnum):
    QUEUED = "queued"
    IN_FLIGHT = "in_flight"
    SENT = "sent"
    # The person opted out of the channel after the message was queued: never sent.
    SKIPPED = "skipped"
    DLQ = "dlq"


FINISHED = frozenset({NotificationState.SENT, NotificationState.SKIPPED, NotificationState.DLQ})


@attrs.frozen
class Recipient:
    """Who is told, and where: an email address or a vendor's webhook endpoint URL."""

    principal_id: str
    role: Role
    channel: Channel
    address: str


@attrs.frozen
class Content:
    """What the notification says: an email's subject and body, a webhook's JSON payload."""

    subject: str
    body: str
    payload_json: str

    @property
    def payload(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.payload_json)
        return loaded


@attrs.frozen
class ChannelPreference:
    """A person's address on one channel, and whether they want to be told there. A webhook
    endpoint carries its signing secret (`whsec_...`), never shown."""

    principal_id: str
    channel: Channel
    address: str
    opted_out: bool = False
    secret: str | None = attrs.field(default=None, repr=False)
    updated_at: datetime | None = None

    def opt_out(self, at: datetime) -> ChannelPreference:
        return attrs.evolve(self, opted_out=True, updated_at=at)

    def opt_in(self, at: datetime) -> ChannelPreference:
        return attrs.evolve(self, opted_out=False, updated_at=at)


def notification_id(booking_id: BookingId, kind: NotificationKind, recipient: Recipient) -> str:
    """Deterministic per booking, change, person and channel: enqueuing twice in one history
    (a retried use case) writes one row, and a webhook's `webhook-id` stays the same across
    redeliveries, so the receiver can de-duplicate."""
    key = f"{booking_id}:{kind}:{recipient.principal_id}:{recipient.channel}"
    return "ntf_" + hashlib.sha256(key.encode()).hexdigest()[:24]


@attrs.frozen
class Notification:
    """One notification in the outbox, and its delivery state (as payment messages have)."""

    id: str
    kind: NotificationKind
    booking_id: BookingId
    recipient: Recipient
    content: Content
    state: NotificationState
    created_at: datetime
    next_attempt_at: datetime
    attempts: int = 0
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    last_error: str | None = None
    lease_owner: str | None = None
    lease_until: datetime | None = None
    finished_at: datetime | None = None

    @classmethod
    def queue(
        cls,
        kind: NotificationKind,
        booking_id: BookingId,
        recipient: Recipient,
        content: Content,
        now: datetime,
    ) -> Notification:
        return cls(
            id=notification_id(booking_id, kind, recipient),
            kind=kind,
            booking_id=booking_id,
            recipient=recipient,
            content=content,
            state=NotificationState.QUEUED,
            created_at=now,
            next_attempt_at=now,
        )

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    def holds_lease(self, owner: str) -> bool:
        return self.state is NotificationState.IN_FLIGHT and self.lease_owner == owner

    def sent(self, now: datetime) -> Notification:
        return self._finish(NotificationState.SENT, now)

    def skipped(self, now: datetime, reason: str) -> Notification:
        return attrs.evolve(self._finish(NotificationState.SKIPPED, now), last_error=reason)

    def fail(self, error: str, now: datetime, *, retryable: bool) -> Notification:
        """Back to the queue after a backoff, or into the DLQ after the last attempt or a
        permanent refusal. `attempts` already counts this attempt (claim_due counts it)."""
        if not retryable or self.attempts >= self.max_attempts:
            return attrs.evolve(self._finish(NotificationState.DLQ, now), last_error=error)
        return attrs.evolve(
            self,
            state=NotificationState.QUEUED,
            last_error=error,
            next_attempt_at=now + retry_delay(self.id, self.attempts),
            lease_owner=None,
            lease_until=None,
        )

    def redrive(self, at: datetime) -> Notification:
        """Out of the DLQ with a fresh budget of attempts."""
        return attrs.evolve(
            self,
            state=NotificationState.QUEUED,
            attempts=0,
            next_attempt_at=at,
            finished_at=None,
            lease_owner=None,
            lease_until=None,
        )

    def _finish(self, state: NotificationState, now: datetime) -> Notification:
        return attrs.evolve(self, state=state, finished_at=now, lease_owner=None, lease_until=None)


class DeliveryOutcome(enum.StrEnum):
    SENT = "sent"
    RETRY = "retry"
    DLQ = "dlq"
    SKIPPED = "skipped"


@attrs.frozen
class DeliveryAttempt:
    """One row of the delivery log: an attempt to send a notification and what came of it."""

    notification_id: str
    attempt: int
    channel: Channel
    outcome: DeliveryOutcome
    detail: str
    at: datetime


@attrs.frozen
class Envelope:
    """What a Notifier is handed: the notification, and the secret its channel signs with."""

    notification: Notification
    secret: str | None = attrs.field(default=None, repr=False)

    @property
    def recipient(self) -> Recipient:
        return self.notification.recipient
