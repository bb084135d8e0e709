"""SimCity's payment provider: Stripe's PaymentIntent and idempotency semantics, with faults
on demand and Stripe-signed webhooks.

Behaves as Stripe documents it:
- a manual-capture PaymentIntent confirmed at creation is `requires_capture`; capture makes it
  `succeeded`, cancel makes it `canceled`; a refund of a captured intent raises its
  `amount_refunded`; a call in the wrong state is refused (permanent error);
- an idempotency key with the same parameters returns the saved result (success or
  refusal) for 24 hours; with other parameters it is refused;
- every event is delivered as a webhook signed `t=...,v1=HMAC-SHA256(secret, "t.payload")`.

Every effect (a state change at the provider) is recorded in `effects` with the idempotency
key that caused it, so a test can assert one effect per key. All randomness comes from the
`random.Random` passed in and all time from the clock passed in: the same seed replays the
same run.

What the provider knows (intents, keys, effects, pending webhooks) lives in a `ProviderState`
(`state.py`): this process's memory by default, or the project's database
(`SqlAlchemyProviderState`), where every gateway on that database, in any process, is one
provider and a restart forgets nothing. Faults, rates, sinks and `delivered` stay per gateway.

Fault injection (for tests and the SimCity daemon):
- `FaultRates`: probabilities per call (502 before the effect, timeout after the effect,
  slow answer) and per webhook (duplicate, late, out of order);
- `inject(Fault..., operation=..., times=...)`: scripted faults for the next matching calls,
  taken before the rates are consulted;
- webhooks wait in `pending` until `deliver_due()` (rates applied) or `deliver(index)` (the
  caller chooses order, duplicates and delays) hands them to the subscribed sinks; a sink
  that raises gets the event again 30 s later (as Stripe retries), and the error propagates.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import json
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import attrs

from bookiji_adapters.simcity.state import (
    Effect,
    InMemoryProviderState,
    PendingWebhook,
    ProviderRecords,
    ProviderState,
    SavedOutcome,
    SavedResult,
    StoredIntent,
)
from bookiji_adapters.stripe.webhooks import signature_header
from bookiji_core.errors import PermanentPaymentError, RetryablePaymentError
from bookiji_core.payments import IntentStatus, IntentView, RefundView
from bookiji_core.ports import Clock
from bookiji_core.values import BookingId, Money

KEY_TTL = timedelta(hours=24)
RETRY_FAILED_DELIVERY = timedelta(seconds=30)
DECLINING_METHODS = frozenset({"pm_card_chargeDeclined", "pm_card_visa_chargeDeclined"})

WebhookSink = Callable[[bytes, str], object]
"""Receives (payload, Stripe-Signature header) for each delivery, like an HTTP endpoint."""


class Fault(enum.StrEnum):
    GATEWAY_502 = "gateway_502"  # refused before anything happened: safe to retry
    TIMEOUT_AFTER_EFFECT = "timeout_after_effect"  # it happened; the caller sees a timeout
    SLOW = "slow"  # answers after `FaultRates.slow_seconds` on the injected sleep


@attrs.define
class FaultRates:
    """Per-call probabilities of each fault. All zero: a well-behaved provider."""

    gateway_502: float = 0.0
    timeout_after_effect: float = 0.0
    slow: float = 0.0
    slow_seconds: float = 9.0
    # The caller's timeout: a slow answer longer than this reaches the caller as a timeout,
    # after the effect happened (DOMAIN.md SLOW_CONFIRM: 9 s against 8 s).
    timeout_seconds: float = 8.0
    webhook_duplicate: float = 0.0
    webhook_late: float = 0.0
    webhook_late_seconds: float = 60.0
    webhook_reorder: float = 0.0


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
        self._scripted: list[tuple[Fault, str | None]] = []
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
            if payment_method in DECLINING_METHODS or not payment_method.startswith("pm_"):
                raise PermanentPaymentError("card_declined: your card was declined")
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
            intent = self._expect(records, intent_id, IntentStatus.REQUIRES_CAPTURE, "capture")
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
            intent = self._expect(records, intent_id, IntentStatus.REQUIRES_CAPTURE, "cancel")
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
            intent = self._expect(records, intent_id, IntentStatus.SUCCEEDED, "refund")
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
                raise PermanentPaymentError(f"resource_missing: no such payment_intent {intent_id}")
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
        # Compared by fingerprint: a saved request keeps no card reference.
        fingerprint = hashlib.sha256(json.dumps(params).encode()).hexdigest()
        with self._records() as records:
            fault = self._fault_before(operation)
            now = self.clock.now()
            saved = records.saved(key)
            if saved is not None and now - saved.at < KEY_TTL:
                if (saved.operation, saved.fingerprint) != (operation, fingerprint):
                    raise PermanentPaymentError(
                        f"idempotency_error: key {key} was used with other parameters"
                    )
                result: SavedOutcome = saved.result
            else:
                try:
                    result = effect(records)
                except PermanentPaymentError as refusal:
                    result = refusal
                records.save(key, SavedResult(operation, fingerprint, result, now))
        self._fault_after(fault)
        if isinstance(result, PermanentPaymentError):
            raise result
        return result

    def _next_fault(self, operation: str) -> Fault | None:
        for index, (fault, wanted) in enumerate(self._scripted):
            if wanted is None or wanted == operation:
                del self._scripted[index]
                return fault
        rates = self.rates
        draw = self.rng.random()
        for fault, rate in (
            (Fault.GATEWAY_502, rates.gateway_502),
            (Fault.TIMEOUT_AFTER_EFFECT, rates.timeout_after_effect),
            (Fault.SLOW, rates.slow),
        ):
            if draw < rate:
                return fault
            draw -= rate
        return None

    def _fault_before(self, operation: str) -> Fault | None:
        if operation in ("retrieve", "intents_for_booking") and not any(
            wanted == operation for _, wanted in self._scripted
        ):
            return None  # reads fail only when a test scripts it
        fault = self._next_fault(operation)
        if fault is Fault.GATEWAY_502:
            raise RetryablePaymentError(f"502 bad gateway from the provider during {operation}")
        return fault

    def _fault_after(self, fault: Fault | None) -> None:
        if fault is Fault.TIMEOUT_AFTER_EFFECT:
            raise RetryablePaymentError("timed out waiting for the provider's answer")
        if fault is Fault.SLOW:
            self._sleep(self.rates.slow_seconds)
            if self.rates.slow_seconds > self.rates.timeout_seconds:
                raise RetryablePaymentError(
                    f"the provider answered after {self.rates.slow_seconds:g} s, past the "
                    f"{self.rates.timeout_seconds:g} s timeout"
                )

    def _expect(
        self, records: ProviderRecords, intent_id: str, status: IntentStatus, operation: str
    ) -> StoredIntent:
        intent = records.intent(intent_id)
        if intent is None:
            raise PermanentPaymentError(f"resource_missing: no such payment_intent {intent_id}")
        if intent.status is not status:
            raise PermanentPaymentError(
                f"payment_intent_unexpected_state: cannot {operation} {intent_id} "
                f"in {intent.status}"
            )
        return intent

    def _record(
        self, records: ProviderRecords, key: str, operation: str, intent: StoredIntent, amount: int
    ) -> None:
        seq = records.effect_count() + 1
        records.add_effect(Effect(seq, key, operation, intent.id, amount, self.clock.now()))

    def _emit(self, records: ProviderRecords, event_type: str, intent: StoredIntent) -> None:
        now = self.clock.now()
        event_id = f"evt_{self._prefix}_{records.effect_count():06d}"
        intent_json = {
            "id": intent.id,
            "object": "payment_intent",
            "amount": intent.amount.amount,
            "currency": intent.amount.currency.lower(),
            "status": str(intent.status),
            "capture_method": "manual",
            "amount_received": intent.amount_captured,
            "metadata": {"booking_id": intent.booking_id},
        }
        obj = intent_json
        if event_type.startswith("charge."):
            obj = {
                "id": f"ch_{intent.id[3:]}",
                "object": "charge",
                "payment_intent": intent.id,
                "amount": intent.amount.amount,
                "amount_captured": intent.amount_captured,
                "amount_refunded": intent.amount_refunded,
                "metadata": {"booking_id": intent.booking_id},
            }
        body = {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "created": int(now.timestamp()),
            "data": {"object": obj},
        }
        due = now
        if self.rng.random() < self.rates.webhook_late:
            due = now + timedelta(seconds=self.rng.uniform(1, self.rates.webhook_late_seconds))
        payload = json.dumps(body, sort_keys=True).encode()
        records.add_pending(PendingWebhook(event_id, event_type, payload, due))

    def _unix_now(self) -> int:
        return int(self.clock.now().timestamp())
