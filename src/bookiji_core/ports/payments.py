"""The payment provider port: a card hold with manual capture, and what can happen to it."""

from __future__ import annotations

from typing import Protocol

from bookiji_core.payments import IntentView, RefundView
from bookiji_core.values import BookingId, Money


class PaymentGateway(Protocol):
    """A payment service provider with Stripe's PaymentIntent semantics.

    Every mutating call carries an idempotency key: the same key with the same parameters
    gives the same result (for 24 h at least); the same key with other parameters is refused.
    Failures raise `RetryablePaymentError` (the request may or may not have taken effect: send
    it again with the same key) or `PermanentPaymentError` (it was refused; sending it again
    cannot help)."""

    def place_hold(
        self, amount: Money, payment_method: str, booking_id: BookingId, idempotency_key: str
    ) -> IntentView:
        """Authorise `amount` on the card without capturing it (a manual-capture intent,
        confirmed at once); the intent carries `booking_id` in its metadata."""
        ...

    def capture(self, intent_id: str, idempotency_key: str) -> IntentView:
        """Capture a held intent in full."""
        ...

    def cancel(self, intent_id: str, idempotency_key: str) -> IntentView:
        """Release a hold that was not captured."""
        ...

    def refund(self, intent_id: str, amount: Money, idempotency_key: str) -> RefundView:
        """Give back `amount` of a captured intent."""
        ...

    def retrieve(self, intent_id: str) -> IntentView:
        """The intent as the provider sees it now."""
        ...

    def intents_for_booking(self, booking_id: BookingId) -> list[IntentView]:
        """Every intent the provider holds whose metadata names `booking_id` (for
        reconciliation, and to find a hold whose creation was never recorded)."""
        ...
