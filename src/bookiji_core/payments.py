"""The transactional outbox: the messages that carry payment commands to the provider.

The payment vocabulary and decisions live in `payment_values` and `payment_decisions`; their
names are re-exported here, where most callers import them from."""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime, timedelta

import attrs

from bookiji_core import correlation
from bookiji_core.payment_decisions import GatewayStep, PaymentCommand, next_step
from bookiji_core.payment_values import (
    IntentStatus,
    IntentView,
    PaymentAction,
    PaymentStatus,
    RefundView,
)

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "FINISHED_STATES",
    "GatewayStep",
    "IntentStatus",
    "IntentView",
    "OutboxMessage",
    "OutboxState",
    "PaymentAction",
    "PaymentCommand",
    "PaymentStatus",
    "RefundView",
    "backoff_delay",
    "next_step",
    "retry_delay",
]


class OutboxState(enum.StrEnum):
    QUEUED = "queued"
    IN_FLIGHT = "in_flight"
    COMMITTED = "committed"
    DLQ = "dlq"
    # Out of the DLQ after a person's decision (`bkctl dlq resolve`): never sent again.
    RESOLVED = "resolved"


# The relay is done with a message in these states: delivered, dead until an operator acts,
# or closed by one.
FINISHED_STATES = frozenset({OutboxState.COMMITTED, OutboxState.DLQ, OutboxState.RESOLVED})

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
    # The request's correlation id (X-Request-ID) that queued it, for the relay's log lines.
    correlation_id: str | None = None

    @classmethod
    def queue(cls, message_id: str, command: PaymentCommand, now: datetime) -> OutboxMessage:
        """A new message, carrying the correlation id of the work that queues it."""
        return cls(
            id=message_id,
            command=command,
            state=OutboxState.QUEUED,
            created_at=now,
            next_attempt_at=now,
            correlation_id=correlation.current(),
        )

    @property
    def idempotency_key(self) -> str:
        return self.command.idempotency_key

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES

    def holds_lease(self, owner: str) -> bool:
        return self.state is OutboxState.IN_FLIGHT and self.lease_owner == owner

    def commit(self, now: datetime) -> OutboxMessage:
        return attrs.evolve(
            self,
            state=OutboxState.COMMITTED,
            committed_at=now,
            lease_owner=None,
            lease_until=None,
        )

    def fail(self, error: str, now: datetime, *, retryable: bool) -> OutboxMessage:
        """Back to the queue after a backoff, or into the DLQ after the last attempt or a
        permanent refusal. `attempts` already counts this attempt (claim_due counts it)."""
        if not retryable or self.attempts >= self.max_attempts:
            return attrs.evolve(
                self, state=OutboxState.DLQ, last_error=error, lease_owner=None, lease_until=None
            )
        return attrs.evolve(
            self,
            state=OutboxState.QUEUED,
            last_error=error,
            next_attempt_at=now + retry_delay(self.idempotency_key, self.attempts),
            lease_owner=None,
            lease_until=None,
        )

    def decline(self, error: str, now: datetime) -> OutboxMessage:
        """The provider answered with a decline that ends the payment (a refused card): the
        message is done, as a delivered one is, and keeps the refusal as its last error."""
        return attrs.evolve(self.commit(now), last_error=error)

    def wait(self, until: datetime) -> OutboxMessage:
        """Not this message's turn yet (an earlier payment of its booking is pending): back to
        the queue without spending an attempt."""
        return attrs.evolve(
            self,
            state=OutboxState.QUEUED,
            attempts=max(0, self.attempts - 1),
            next_attempt_at=until,
            lease_owner=None,
            lease_until=None,
        )

    def resolve(self, now: datetime, note: str) -> OutboxMessage:
        """A person decided what this dead message needed (runbook Incident-001) and closes it;
        `note` (who and why) is appended to its last error."""
        error = f"{self.last_error}; {note}" if self.last_error else note
        return attrs.evolve(self, state=OutboxState.RESOLVED, last_error=error, committed_at=now)

    def release(self) -> OutboxMessage:
        """Given back unattempted by a worker that is stopping: queued again at once, for
        another relay to take, without spending an attempt."""
        return attrs.evolve(
            self,
            state=OutboxState.QUEUED,
            attempts=max(0, self.attempts - 1),
            lease_owner=None,
            lease_until=None,
        )

    def redrive(self, at: datetime) -> OutboxMessage:
        """Out of the DLQ with a fresh budget of attempts (runbook Incident-001)."""
        return attrs.evolve(
            self,
            state=OutboxState.QUEUED,
            attempts=0,
            next_attempt_at=at,
            lease_owner=None,
            lease_until=None,
        )


def backoff_delay(attempt: int, base: float = 1.0, cap: float = 300.0) -> timedelta:
    """1 s, 2 s, 4 s ... after the first, second, third failure, capped."""
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempt - 1)))


JITTER = 0.25


def retry_delay(key: str, attempt: int, base: float = 1.0, cap: float = 300.0) -> timedelta:
    """The backoff plus up to 25 % jitter, so that retries of many messages that failed
    together do not arrive together. The jitter is a hash of the key and the attempt, not a
    random draw: the same run replays to the same schedule (SimCity seeds stay bug reports)."""
    digest = hashlib.sha256(f"{key}:{attempt}".encode()).digest()
    fraction = int.from_bytes(digest[:4], "big") / 2**32
    delay = backoff_delay(attempt, base, cap).total_seconds() * (1 + JITTER * fraction)
    return timedelta(seconds=min(cap, delay))
