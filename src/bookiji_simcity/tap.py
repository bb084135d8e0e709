"""The SimCity provider as Bookiji's code meets it in a run: every call is a yield point (so
relays and webhooks race at the provider) and a line of the event log, and an outage window
answers every call with a 502 (DLQ_GROWTH). It wraps the SimCityPaymentGateway; the
provider's own behaviour and faults stay the provider's."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

import attrs

from bookiji_adapters.simcity.payments import SimCityPaymentGateway
from bookiji_core.errors import PaymentError, RetryablePaymentError
from bookiji_core.payments import IntentView, RefundView
from bookiji_core.ports import Clock
from bookiji_core.values import BookingId, Money

T = TypeVar("T")


@attrs.frozen
class Call:
    """One mutating call Bookiji made to the provider, and how it ended."""

    at: datetime
    operation: str
    key: str
    outcome: str


class TappedGateway:
    """Implements the PaymentGateway port by delegation."""

    def __init__(
        self,
        inner: SimCityPaymentGateway,
        clock: Clock,
        pause: Callable[[], None],
        log: Callable[[str, str], None],
        outages: Sequence[tuple[float, float]] = (),
        start: datetime | None = None,
    ) -> None:
        self._inner = inner
        self._clock = clock
        self._pause = pause
        self._log = log
        origin = start or clock.now()
        self._outages = [
            (origin + timedelta(seconds=a), origin + timedelta(seconds=b)) for a, b in outages
        ]
        self.calls: list[Call] = []

    def place_hold(
        self, amount: Money, payment_method: str, booking_id: BookingId, idempotency_key: str
    ) -> IntentView:
        return self._mutate(
            "place_hold",
            idempotency_key,
            lambda: self._inner.place_hold(amount, payment_method, booking_id, idempotency_key),
        )

    def capture(self, intent_id: str, idempotency_key: str) -> IntentView:
        return self._mutate(
            "capture", idempotency_key, lambda: self._inner.capture(intent_id, idempotency_key)
        )

    def cancel(self, intent_id: str, idempotency_key: str) -> IntentView:
        return self._mutate(
            "cancel", idempotency_key, lambda: self._inner.cancel(intent_id, idempotency_key)
        )

    def refund(self, intent_id: str, amount: Money, idempotency_key: str) -> RefundView:
        return self._mutate(
            "refund",
            idempotency_key,
            lambda: self._inner.refund(intent_id, amount, idempotency_key),
        )

    def retrieve(self, intent_id: str) -> IntentView:
        self._pause()
        self._outage("retrieve", intent_id)
        return self._inner.retrieve(intent_id)

    def intents_for_booking(self, booking_id: BookingId) -> list[IntentView]:
        self._pause()
        self._outage("search", booking_id)
        return self._inner.intents_for_booking(booking_id)

    def _outage(self, operation: str, subject: str) -> None:
        now = self._clock.now()
        if any(start <= now < end for start, end in self._outages):
            self._log("provider", f"{operation} {subject} -> 502 (outage)")
            raise RetryablePaymentError(f"502 bad gateway: provider outage during {operation}")

    def _mutate(self, operation: str, key: str, call: Callable[[], T]) -> T:
        self._pause()
        at = self._clock.now()
        try:
            self._outage(operation, key)
            result = call()
        except PaymentError as error:
            outcome = f"{error.code}: {error.message}"
            self.calls.append(Call(at, operation, key, error.code))
            self._log("provider", f"{operation} {key} -> {outcome}")
            raise
        shown = result.id if isinstance(result, IntentView | RefundView) else "ok"
        self.calls.append(Call(at, operation, key, "ok"))
        self._log("provider", f"{operation} {key} -> {shown}")
        return result
