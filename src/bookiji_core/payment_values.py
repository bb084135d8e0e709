"""The payment vocabulary: actions, the booking's payment status, and the provider's view."""

from __future__ import annotations

import enum

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
