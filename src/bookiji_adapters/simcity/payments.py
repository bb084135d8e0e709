"""SimCityPaymentGateway: Stripe's PaymentIntent and idempotency semantics, faults on demand.

A manual-capture intent confirmed at creation is `requires_capture`; capture makes it
`succeeded`, cancel `canceled`; a refund raises `amount_refunded`; a call in the wrong state
is refused. Every effect is recorded with the idempotency key that caused it (`effects`).
Keys: `provider_keys.py`; faults: `provider_faults.py`; signed events: `events.py`; what the
provider knows: a `ProviderState` (`state.py`, in memory; `sql_state.py`, in the database).
All randomness comes from the `random.Random` and all time from the clock passed in.
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import attrs

from bookiji_adapters.simcity.events import event_payload, signature_header
from bookiji_adapters.simcity.provider_faults import (
    Fault,
    FaultRates,
    Scripted,
    fault_after,
    fault_before,
)
from bookiji_adapters.simcity.provider_keys import once_per_key, params_fingerprint
from bookiji_adapters.simcity.state import (
    Effect,
    InMemoryProviderState,
    PendingWebhook,
    ProviderRecords,
    ProviderState,
    StoredIntent,
    expect_intent,
)
from bookiji_core.errors import CardDeclined, PermanentPaymentError, UnknownPaymentObject
from bookiji_core.payments import IntentStatus, IntentView, RefundView
from bookiji_core.ports import Clock
from bookiji_core.values import BookingId, Money

RETRY_FAILED_DELIVERY = timedelta(seconds=30)
DECLINING_METHODS = frozenset({"pm_card_chargeDeclined", "pm_card_visa_chargeDeclined"})

WebhookSink = Callable[[bytes, str], object]
"""Receives (payload, Stripe-Signature header) for each delivery, like an HTTP endpoint."""


__all__ = ["Effect", "Fault", "FaultRates", "PendingWebhook", "SimCityPaymentGateway"]


class SimCityPaymentGateway:
    """Implements the PaymentGateway port. Thread-safe: each call is one transaction on the
    state, which serialises calls across threads (and, in the database, across processes)."""

    def __init__(
        self,
        *,
        clock: Clock,
        rng: random.Random,
        webhook_secret: str = "whsec_simcity",
        rates: FaultRates | None = None,
        sleep: Callable[[float], None] | None = None,
        id_prefix: str = "sim",
        state: ProviderState | None = None,
    ) -> None:
        self.clock = clock
        self.rng = rng
        self.webhook_secret = webhook_secret
        self.rates = rates or FaultRates()
        self.state: ProviderState = state or InMemoryProviderState()
        self.delivered: list[PendingWebhook] = []
        self.failed_deliveries = 0
        self._sleep = sleep or (lambda _seconds: None)
        self._prefix = id_prefix
        self._scripted: Scripted = []
        self._sinks: list[WebhookSink] = []
        # Guards this gateway's own faults and draws; the state's transaction guards the rest.
        self._lock = threading.RLock()

    @contextmanager
    def _records(self) -> Iterator[ProviderRecords]:
        with self._lock, self.state.transaction() as records:
            yield records

    @property
    def effects(self) -> list[Effect]:
        """Every effect, in order: the live list in memory, a copy from a database state."""
        with self._records() as records:
            return records.effects()

    @property
    def pending(self) -> list[PendingWebhook]:
        """The webhooks not yet handed over: the live list in memory, a copy from a database
        state (deliver them with `deliver` or `deliver_due` there)."""
        with self._records() as records:
            return records.pending()

    # -- fault injection and inspection -------------------------------------------------

    def inject(self, fault: Fault, *, operation: str | None = None, times: int = 1) -> None:
        """The next `times` calls of `operation` (any mutating call if None) suffer `fault`."""
        with self._lock:
            self._scripted.extend([(fault, operation)] * times)

    def subscribe(self, sink: WebhookSink) -> None:
        self._sinks.append(sink)

    def effects_per_key(self) -> Counter[str]:
        with self._records() as records:
            return Counter(e.idempotency_key for e in records.effects())

    def all_intents(self) -> list[IntentView]:
        with self._records() as records:
            return [i.view() for i in records.intents()]

    def deliver(self, index: int = 0, *, keep: bool = False) -> PendingWebhook:
        """Hand pending webhook `index` to the sinks now, signed with the current time; with
        `keep` it stays pending too, to be delivered again (a duplicate)."""
        with self._records() as records:
            event = records.pending()[index] if keep else records.take_pending(index)
        self._send(event)
        return event

    def deliver_due(self) -> int:
        """Deliver every pending webhook that is due, with the rates' duplicates and
        reordering (lateness is drawn when the event is emitted). Returns the deliveries."""
        with self._records() as records:
            now = self.clock.now()
            due = records.take_due(now)
            if len(due) > 1 and self.rng.random() < self.rates.webhook_reorder:
                self.rng.shuffle(due)
            for event in due:
                if self.rng.random() < self.rates.webhook_duplicate:
                    again = now + timedelta(seconds=self.rng.uniform(0, 5))
                    records.add_pending(attrs.evolve(event, due_at=again))
        for event in due:
            with contextlib.suppress(Exception):  # requeued by _send; the others still go
                self._send(event)
        return len(due)

    def _send(self, event: PendingWebhook) -> None:
        with self._lock:
            self.delivered.append(event)
        header = signature_header(event.payload, self.webhook_secret, self._unix_now())
        for sink in list(self._sinks):
            try:
                sink(event.payload, header)
            except Exception:
                # As Stripe does, a delivery the endpoint failed is tried again later.
                with self._records() as records:
                    self.failed_deliveries += 1
                    later = self.clock.now() + RETRY_FAILED_DELIVERY
                    records.add_pending(attrs.evolve(event, due_at=later))
                raise

    # -- the PaymentGateway port ----------------------------------------------------------

    def place_hold(
        self, amount: Money, payment_method: str, booking_id: BookingId, idempotency_key: str
    ) -> IntentView:
        params = (amount.amount, amount.currency, payment_method, str(booking_id))

        def effect(records: ProviderRecords) -> IntentView:
            if payment_method in DECLINING_METHODS:
                raise CardDeclined("card_declined: your card was declined")
            if not payment_method.startswith("pm_"):
                raise PermanentPaymentError(
                    f"resource_missing: no such PaymentMethod {payment_method}"
                )
            intent = StoredIntent(
                id=f"pi_{self._prefix}_{records.intent_count() + 1:06d}",
                booking_id=str(booking_id),
                amount=amount,
                status=IntentStatus.REQUIRES_CAPTURE,
                created=self.clock.now(),
            )
            records.put_intent(intent)
            self._record(records, idempotency_key, "place_hold", intent, amount.amount)
            self._emit(records, "payment_intent.amount_capturable_updated", intent)
            return intent.view()

        result = self._mutate("place_hold", idempotency_key, params, effect)
        assert isinstance(result, IntentView)
        return result

    def capture(self, intent_id: str, idempotency_key: str) -> IntentView:
        def effect(records: ProviderRecords) -> IntentView:
            intent = expect_intent(records, intent_id, IntentStatus.REQUIRES_CAPTURE, "capture")
            intent.status = IntentStatus.SUCCEEDED
            intent.amount_captured = intent.amount.amount
            records.put_intent(intent)
            self._record(records, idempotency_key, "capture", intent, intent.amount_captured)
            self._emit(records, "payment_intent.succeeded", intent)
            return intent.view()

        result = self._mutate("capture", idempotency_key, (intent_id,), effect)
        assert isinstance(result, IntentView)
        return result

    def cancel(self, intent_id: str, idempotency_key: str) -> IntentView:
        def effect(records: ProviderRecords) -> IntentView:
            intent = expect_intent(records, intent_id, IntentStatus.REQUIRES_CAPTURE, "cancel")
            intent.status = IntentStatus.CANCELED
            records.put_intent(intent)
            self._record(records, idempotency_key, "cancel", intent, intent.amount.amount)
            self._emit(records, "payment_intent.canceled", intent)
            return intent.view()

        result = self._mutate("cancel", idempotency_key, (intent_id,), effect)
        assert isinstance(result, IntentView)
        return result

    def refund(self, intent_id: str, amount: Money, idempotency_key: str) -> RefundView:
        params = (intent_id, amount.amount, amount.currency)

        def effect(records: ProviderRecords) -> RefundView:
            intent = expect_intent(records, intent_id, IntentStatus.SUCCEEDED, "refund")
            if (
                amount.amount <= 0
                or amount.amount > intent.amount_captured - intent.amount_refunded
            ):
                raise PermanentPaymentError(
                    f"charge_already_refunded: {intent_id} has less than {amount} to refund"
                )
            intent.amount_refunded += amount.amount
            records.put_intent(intent)
            self._record(records, idempotency_key, "refund", intent, amount.amount)
            self._emit(records, "charge.refunded", intent)
            return RefundView(
                f"re_{self._prefix}_{records.effect_count():06d}", intent_id, amount, "succeeded"
            )

        result = self._mutate("refund", idempotency_key, params, effect)
        assert isinstance(result, RefundView)
        return result

    def retrieve(self, intent_id: str) -> IntentView:
        with self._records() as records:
            self._fault_before("retrieve")
            intent = records.intent(intent_id)
            if intent is None:
                raise UnknownPaymentObject(f"resource_missing: no such payment_intent {intent_id}")
            return intent.view()

    def intents_for_booking(self, booking_id: BookingId) -> list[IntentView]:
        with self._records() as records:
            self._fault_before("intents_for_booking")
            found = records.intents(str(booking_id))
            return [i.view() for i in sorted(found, key=lambda i: (i.created, i.id))]

    # -- internals ------------------------------------------------------------------------

    def _mutate(
        self,
        operation: str,
        key: str,
        params: tuple[object, ...],
        effect: Callable[[ProviderRecords], IntentView | RefundView],
    ) -> IntentView | RefundView:
        fingerprint = params_fingerprint(params)
        with self._records() as records:
            fault = self._fault_before(operation)
            now = self.clock.now()
            result = once_per_key(records, operation, key, fingerprint, effect, now)
        self._fault_after(fault)
        if isinstance(result, PermanentPaymentError):
            raise result
        return result

    def _fault_before(self, operation: str) -> Fault | None:
        return fault_before(self._scripted, self.rates, self.rng, operation)

    def _fault_after(self, fault: Fault | None) -> None:
        fault_after(fault, self.rates, self._sleep)

    def _record(
        self, records: ProviderRecords, key: str, operation: str, intent: StoredIntent, amount: int
    ) -> None:
        seq = records.effect_count() + 1
        records.add_effect(Effect(seq, key, operation, intent.id, amount, self.clock.now()))

    def _emit(self, records: ProviderRecords, event_type: str, intent: StoredIntent) -> None:
        now = self.clock.now()
        event_id = f"evt_{self._prefix}_{records.effect_count():06d}"
        due = now
        if self.rng.random() < self.rates.webhook_late:
            due = now + timedelta(seconds=self.rng.uniform(1, self.rates.webhook_late_seconds))
        payload = event_payload(event_id, event_type, intent, now)
        records.add_pending(PendingWebhook(event_id, event_type, payload, due))

    def _unix_now(self) -> int:
        return int(self.clock.now().timestamp())
