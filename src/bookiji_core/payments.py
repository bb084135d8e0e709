"""Payment commands and the outbox messages that carry them to the payment provider."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import attrs

from bookiji_core.values import BookingId, Money


class PaymentAction(enum.StrEnum):
    PLACE_HOLD = "place_hold"
    CAPTURE = "capture"
    RELEASE = "release"
    REFUND = "refund"


class PaymentStatus(enum.StrEnum):
    """Where the booking's $1 commitment fee stands at the payment provider."""

    HOLD_PENDING = "hold_pending"
    HELD = "held"
    CAPTURE_PENDING = "capture_pending"
    CAPTURED = "captured"
    RELEASE_PENDING = "release_pending"
    RELEASED = "released"
    REFUND_PENDING = "refund_pending"
    REFUNDED = "refunded"
    FAILED = "failed"


class OutboxState(enum.StrEnum):
    QUEUED = "queued"
    IN_FLIGHT = "in_flight"
    COMMITTED = "committed"
    DLQ = "dlq"


@attrs.frozen
class PaymentCommand:
    """A request for the payment provider, raised by the booking aggregate."""

    booking_id: BookingId
    action: PaymentAction
    amount: Money
    sequence: int

    @property
    def idempotency_key(self) -> str:
        # Deterministic per booking, action and sequence: a retry reuses it, a second refund
        # on purpose gets a new one.
        return f"bookiji:{self.booking_id}:{self.action}:{self.sequence}"


DEFAULT_MAX_ATTEMPTS = 8


@attrs.frozen
class OutboxMessage:
    """One payment command in the transactional outbox, and its delivery state."""

    id: str
    command: PaymentCommand
    state: OutboxState
    created_at: datetime
    next_attempt_at: datetime
    attempts: int = 0
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    last_error: str | None = None
    lease_owner: str | None = None
    lease_until: datetime | None = None
    committed_at: datetime | None = None

    @classmethod
    def queue(cls, message_id: str, command: PaymentCommand, now: datetime) -> OutboxMessage:
        return cls(
            id=message_id,
            command=command,
            state=OutboxState.QUEUED,
            created_at=now,
            next_attempt_at=now,
        )

    @property
    def idempotency_key(self) -> str:
        return self.command.idempotency_key


def backoff_delay(attempt: int, base: float = 1.0, cap: float = 300.0) -> timedelta:
    """1 s, 2 s, 4 s ... after the first, second, third failure, capped."""
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempt - 1)))
