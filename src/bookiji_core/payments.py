"""Payment commands and the outbox messages that carry them to the payment provider."""

from __future__ import annotations

import enum
import hashlib
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
    # The PaymentIntent to act on when it is not the booking's own (a duplicate found by
    # reconciliation); None means the booking's payment_intent_id.
    intent_id: str | None = None

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

    @property
    def finished(self) -> bool:
        return self.state in (OutboxState.COMMITTED, OutboxState.DLQ)

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


class IntentStatus(enum.StrEnum):
    """The statuses of a Stripe PaymentIntent that matter for a manual-capture hold."""

    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_CONFIRMATION = "requires_confirmation"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    REQUIRES_CAPTURE = "requires_capture"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"


@attrs.frozen
class IntentView:
    """What the payment provider says about one PaymentIntent, now."""

    id: str
    booking_id: BookingId | None
    status: IntentStatus
    amount: Money
    amount_captured: int = 0
    amount_refunded: int = 0

    @property
    def is_live_hold(self) -> bool:
        """Funds are held on the card and could still be captured."""
        return self.status is IntentStatus.REQUIRES_CAPTURE

    @property
    def net_captured(self) -> int:
        """Captured and not refunded: what the customer is out of pocket."""
        return max(0, self.amount_captured - self.amount_refunded)

    @property
    def was_held(self) -> bool:
        """The card was authorised at some point (released, captured or still held)."""
        # We only ever cancel live holds, so a cancelled intent of ours was held once.
        return self.status in (
            IntentStatus.REQUIRES_CAPTURE,
            IntentStatus.SUCCEEDED,
            IntentStatus.CANCELED,
        )


@attrs.frozen
class RefundView:
    id: str
    intent_id: str
    amount: Money
    status: str


class GatewayStep(enum.StrEnum):
    """The one call to make at the provider, decided from its current state (read before act)."""

    PLACE_HOLD = "place_hold"
    CAPTURE = "capture"
    CANCEL = "cancel"
    REFUND = "refund"
    NOTHING = "nothing"
    IMPOSSIBLE = "impossible"


def next_step(action: PaymentAction, intent: IntentView | None) -> GatewayStep:
    """What a command still needs, given what the provider already did. A retry, a crash
    after the effect, or a race with a webhook all lead here to NOTHING rather than a second
    effect; a release of a hold that got captured meanwhile becomes a refund."""
    if action is PaymentAction.PLACE_HOLD:
        return GatewayStep.PLACE_HOLD if intent is None else GatewayStep.NOTHING
    if intent is None:
        # No hold was ever placed (it failed for good): nothing to capture, release or refund.
        return GatewayStep.IMPOSSIBLE if action is PaymentAction.CAPTURE else GatewayStep.NOTHING
    if action is PaymentAction.CAPTURE:
        if intent.is_live_hold:
            return GatewayStep.CAPTURE
        return GatewayStep.NOTHING if intent.amount_captured > 0 else GatewayStep.IMPOSSIBLE
    # RELEASE and REFUND both mean: leave the customer with no hold and no charge.
    if intent.is_live_hold:
        return GatewayStep.CANCEL
    if intent.net_captured > 0:
        return GatewayStep.REFUND
    return GatewayStep.NOTHING
