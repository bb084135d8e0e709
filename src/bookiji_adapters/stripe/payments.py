"""StripePaymentGateway: the PaymentGateway port on the official Stripe SDK.

Every mutating call sends the caller's Idempotency-Key; the SDK's own network retries are off
so that the outbox owns retrying (with the same key). Errors are mapped once, here: whatever
may succeed on a retry (connection errors and timeouts, 5xx, 429, lock timeouts, a key in use
by a concurrent request) is a RetryablePaymentError; refusals (card declined, invalid request,
key reused with other parameters, authentication) are PermanentPaymentErrors, and a card the
issuer refused (`card_error`) is a CardDeclined."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import stripe

from bookiji_core.errors import (
    CardDeclined,
    PaymentError,
    PermanentPaymentError,
    RetryablePaymentError,
    UnknownPaymentObject,
)
from bookiji_core.payments import IntentStatus, IntentView, RefundView
from bookiji_core.values import BookingId, Money

T = TypeVar("T")

_RETRYABLE_CODES = frozenset({"lock_timeout", "idempotency_key_in_use", "rate_limit"})


def map_error(error: stripe.StripeError) -> PaymentError:
    """The domain error for a Stripe SDK error."""
    code = getattr(error, "code", None) or ""
    status = error.http_status
    text = f"stripe {type(error).__name__} {status or ''} {code}: {error.user_message or error}"
    if isinstance(error, stripe.APIConnectionError | stripe.RateLimitError):
        return RetryablePaymentError(text)
    if code in _RETRYABLE_CODES or status is None or status >= 500 or status in (409, 429):
        return RetryablePaymentError(text)
    if code == "resource_missing":
        return UnknownPaymentObject(text)
    if isinstance(error, stripe.CardError):
        # The issuer refused the card (declined, insufficient funds, expired...): the
        # customer's business, not an incident.
        return CardDeclined(text)
    return PermanentPaymentError(text)


def _call(operation: Callable[[], T]) -> T:
    try:
        return operation()
    except stripe.StripeError as error:
        raise map_error(error) from error


def _plain(obj: Any) -> dict[str, Any]:
    if isinstance(obj, stripe.StripeObject):
        return obj.to_dict()
    return obj if isinstance(obj, dict) else {}


def intent_view(intent: Any) -> IntentView:
    """Our view of a PaymentIntent (retrieved with `latest_charge` expanded)."""
    data = _plain(intent)
    charge = _plain(data.get("latest_charge"))
    captured = charge.get("amount_captured")
    if captured is None:  # older API versions and localstripe: only the `captured` flag
        captured = int(charge.get("amount", 0)) if charge.get("captured") else 0
    booking_id = (data.get("metadata") or {}).get("booking_id")
    return IntentView(
        id=str(data["id"]),
        booking_id=BookingId(booking_id) if booking_id else None,
        status=IntentStatus(data["status"]),
        amount=Money(str(data["currency"]).upper(), int(data["amount"])),
        amount_captured=int(captured),
        amount_refunded=int(charge.get("amount_refunded") or 0),
    )


class StripePaymentGateway:
    """Implements the PaymentGateway port against Stripe (or any server that speaks its API).

    `search_supported=False` finds a booking's intents by listing instead of the Search API
    (for test servers such as localstripe that lack it)."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        timeout: float = 8.0,
        search_supported: bool = True,
        http_client: stripe.HTTPClient | None = None,
    ) -> None:
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": base_url} if base_url else {},
            max_network_retries=0,
            http_client=http_client or stripe.RequestsClient(timeout=timeout),
        )
        self._search = search_supported

    def place_hold(
        self, amount: Money, payment_method: str, booking_id: BookingId, idempotency_key: str
    ) -> IntentView:
        params: Any = {
            "amount": amount.amount,
            "currency": amount.currency.lower(),
            "payment_method": payment_method,
            "payment_method_types": ["card"],
            "capture_method": "manual",
            "confirm": True,
            "metadata": {"booking_id": str(booking_id)},
        }
        intent = _call(
            lambda: self._client.v1.payment_intents.create(
                params, options={"idempotency_key": idempotency_key}
            )
        )
        return self.retrieve(intent.id)

    def capture(self, intent_id: str, idempotency_key: str) -> IntentView:
        _call(
            lambda: self._client.v1.payment_intents.capture(
                intent_id, options={"idempotency_key": idempotency_key}
            )
        )
        return self.retrieve(intent_id)

    def cancel(self, intent_id: str, idempotency_key: str) -> IntentView:
        _call(
            lambda: self._client.v1.payment_intents.cancel(
                intent_id, options={"idempotency_key": idempotency_key}
            )
        )
        return self.retrieve(intent_id)

    def refund(self, intent_id: str, amount: Money, idempotency_key: str) -> RefundView:
        params: Any = {"payment_intent": intent_id, "amount": amount.amount}
        refund = _call(
            lambda: self._client.v1.refunds.create(
                params, options={"idempotency_key": idempotency_key}
            )
        )
        return RefundView(
            id=refund.id,
            intent_id=intent_id,
            amount=Money(str(refund.currency).upper(), int(refund.amount)),
            status=str(refund.status),
        )

    def retrieve(self, intent_id: str) -> IntentView:
        params: Any = {"expand": ["latest_charge"]}
        return intent_view(
            _call(lambda: self._client.v1.payment_intents.retrieve(intent_id, params))
        )

    def intents_for_booking(self, booking_id: BookingId) -> list[IntentView]:
        if self._search:
            query: Any = {"query": f"metadata['booking_id']:'{booking_id}'", "limit": 100}
            found = _call(lambda: self._client.v1.payment_intents.search(query))
            ids = [i.id for i in found.data]
        else:
            listing = _call(lambda: self._client.v1.payment_intents.list({"limit": 100}))
            ids = [
                i.id
                for i in listing.auto_paging_iter()
                if (_plain(i).get("metadata") or {}).get("booking_id") == booking_id
            ]
        return [self.retrieve(i) for i in ids]
