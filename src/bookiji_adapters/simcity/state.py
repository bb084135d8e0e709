"""Where SimCity's payment provider keeps what it knows: intents, idempotency keys, the effect
log and the webhooks waiting to go out.

The gateway (`payments.py`) holds the rules; a state only stores, inside a transaction that
serialises every call on it. `InMemoryProviderState` is the default (tests, SimCity runs: fast
and deterministic). `SqlAlchemyProviderState` (`sql_state.py`)
keeps the same records in the project's database, so that every process on one database sees
one provider and a restart forgets nothing (the local profile).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Protocol

import attrs

from bookiji_core.errors import PermanentPaymentError
from bookiji_core.payments import IntentStatus, IntentView, RefundView
from bookiji_core.values import BookingId, Money


@attrs.frozen
class Effect:
    """One state change at the provider, and the idempotency key that asked for it."""

    seq: int
    idempotency_key: str
    operation: str
    intent_id: str
    amount: int
    at: datetime


@attrs.frozen
class PendingWebhook:
    event_id: str
    type: str
    payload: bytes
    due_at: datetime


@attrs.define
class StoredIntent:
    """A PaymentIntent as the provider keeps it (no card reference: only the decision to
    decline needed it, at creation)."""

    id: str
    booking_id: str
    amount: Money
    status: IntentStatus
    created: datetime
    amount_captured: int = 0
    amount_refunded: int = 0

    def view(self) -> IntentView:
        return IntentView(
            id=self.id,
            booking_id=BookingId(self.booking_id),
            status=self.status,
            amount=self.amount,
            amount_captured=self.amount_captured,
            amount_refunded=self.amount_refunded,
        )


def expect_intent(
    records: ProviderRecords, intent_id: str, status: IntentStatus, operation: str
) -> StoredIntent:
    """The intent, if it exists and is in `status`; otherwise the provider's refusal."""
    intent = records.intent(intent_id)
    if intent is None:
        raise PermanentPaymentError(f"resource_missing: no such payment_intent {intent_id}")
    if intent.status is not status:
        raise PermanentPaymentError(
            f"payment_intent_unexpected_state: cannot {operation} {intent_id} in {intent.status}"
        )
    return intent


SavedOutcome = IntentView | RefundView | PermanentPaymentError


@attrs.frozen
class SavedResult:
    """What an idempotency key's first call answered, and a fingerprint of its parameters."""

    operation: str
    fingerprint: str
    result: SavedOutcome
    at: datetime


class ProviderRecords(Protocol):
    """The provider's records, read and changed inside one transaction."""

    def intent(self, intent_id: str) -> StoredIntent | None: ...

    def intents(self, booking_id: str | None = None) -> list[StoredIntent]:
        """All intents, or one booking's, in the order they were created."""
        ...

    def intent_count(self) -> int: ...

    def put_intent(self, intent: StoredIntent) -> None:
        """Add the intent, or store its changes."""
        ...

    def saved(self, key: str) -> SavedResult | None: ...

    def save(self, key: str, saved: SavedResult) -> None: ...

    def effects(self) -> list[Effect]: ...

    def effect_count(self) -> int: ...

    def add_effect(self, effect: Effect) -> None: ...

    def pending(self) -> list[PendingWebhook]:
        """The webhooks not yet handed over, in the order they were queued."""
        ...

    def add_pending(self, event: PendingWebhook) -> None: ...

    def take_pending(self, index: int) -> PendingWebhook: ...

    def take_due(self, now: datetime) -> list[PendingWebhook]:
        """Remove and return the webhooks due at `now`, in queue order."""
        ...


class ProviderState(Protocol):
    def transaction(self) -> AbstractContextManager[ProviderRecords]:
        """The records, with every other transaction on this state kept out until it ends."""
        ...


class InMemoryProviderState:
    """The provider in this process's memory. Its `pending` and `effects` lists are the live
    ones, which tests and SimCity runs may change directly (reorder, drop, redeliver)."""

    def __init__(self) -> None:
        self._intents: dict[str, StoredIntent] = {}
        self._saved: dict[str, SavedResult] = {}
        self._effects: list[Effect] = []
        self._pending: list[PendingWebhook] = []
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[InMemoryProviderState]:
        with self._lock:
            yield self

    def intent(self, intent_id: str) -> StoredIntent | None:
        return self._intents.get(intent_id)

    def intents(self, booking_id: str | None = None) -> list[StoredIntent]:
        found = self._intents.values()
        return [i for i in found if booking_id is None or i.booking_id == booking_id]

    def intent_count(self) -> int:
        return len(self._intents)

    def put_intent(self, intent: StoredIntent) -> None:
        self._intents[intent.id] = intent

    def saved(self, key: str) -> SavedResult | None:
        return self._saved.get(key)

    def save(self, key: str, saved: SavedResult) -> None:
        self._saved[key] = saved

    def effects(self) -> list[Effect]:
        return self._effects

    def effect_count(self) -> int:
        return len(self._effects)

    def add_effect(self, effect: Effect) -> None:
        self._effects.append(effect)

    def pending(self) -> list[PendingWebhook]:
        return self._pending

    def add_pending(self, event: PendingWebhook) -> None:
        self._pending.append(event)

    def take_pending(self, index: int) -> PendingWebhook:
        return self._pending.pop(index)

    def take_due(self, now: datetime) -> list[PendingWebhook]:
        due = [e for e in self._pending if e.due_at <= now]
        # In place: whoever holds the list (a test, a SimCity run) keeps seeing the queue.
        self._pending[:] = [e for e in self._pending if e.due_at > now]
        return due
