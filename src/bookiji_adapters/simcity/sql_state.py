"""SqlAlchemyProviderState: SimCity's payment provider kept in the project's database.

Every gateway over one database, in any process, is one provider: its intents, idempotency
keys, effect log and pending webhooks are rows (`sql_tables.py`, revision 0005), and a
restart forgets nothing. Each call is one transaction holding the database's write lock
(SQLite's BEGIN IMMEDIATE; on PostgreSQL a transaction-level advisory lock), so calls are
serialised across processes as the in-memory state serialises threads: one key, one effect.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Row,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from bookiji_adapters.simcity.sql_tables import (
    simcity_effects,
    simcity_idempotency_keys,
    simcity_intents,
    simcity_webhooks,
)
from bookiji_adapters.simcity.state import (
    Effect,
    PendingWebhook,
    SavedOutcome,
    SavedResult,
    StoredIntent,
)
from bookiji_core.errors import (
    CardDeclined,
    ConcurrentUpdate,
    PermanentPaymentError,
    RetryablePaymentError,
)
from bookiji_core.payments import IntentStatus, IntentView, RefundView
from bookiji_core.values import BookingId, Money

_PG_LOCK = "SELECT pg_advisory_xact_lock(hashtext('bookiji.simcity.provider'))"

# Built once: every simulated payment call runs several of them (a statement built per call
# costs about three times what running it does on SQLite).
_i, _k, _e, _w = (
    simcity_intents.c,
    simcity_idempotency_keys.c,
    simcity_effects.c,
    simcity_webhooks.c,
)
_INTENT = select(simcity_intents).where(_i.id == bindparam("intent_id"))
_INTENTS = select(simcity_intents).order_by(_i.number)
_INTENTS_OF = _INTENTS.where(_i.booking_id == bindparam("of_booking"))
_INTENT_COUNT = select(func.coalesce(func.max(_i.number), 0))
_INTENT_COLUMNS = (
    "booking_id",
    "amount",
    "currency",
    "status",
    "amount_captured",
    "amount_refunded",
    "created_at",
)
_UPDATE_INTENT = (
    update(simcity_intents)
    .where(_i.id == bindparam("intent_id"))
    .values({name: bindparam(name) for name in _INTENT_COLUMNS})
)
_INSERT_INTENT = insert(simcity_intents)
_SAVED = select(simcity_idempotency_keys).where(_k.key == bindparam("saved_key"))
_FORGET_KEY = delete(simcity_idempotency_keys).where(_k.key == bindparam("saved_key"))
_SAVE_KEY = insert(simcity_idempotency_keys)
_EFFECTS = select(simcity_effects).order_by(_e.seq)
_EFFECT_COUNT = select(func.coalesce(func.max(_e.seq), 0))
_ADD_EFFECT = insert(simcity_effects)
_ADD_WEBHOOK = insert(simcity_webhooks)
_QUEUED = select(simcity_webhooks).order_by(_w.id)
_QUEUED_DUE = _QUEUED.where(_w.due_at <= bindparam("due_by"))
_TAKE_WEBHOOK = delete(simcity_webhooks).where(_w.id == bindparam("webhook_id"))
_TAKE_WEBHOOKS = delete(simcity_webhooks).where(_w.id.in_(bindparam("webhook_ids", expanding=True)))


class SqlAlchemyProviderState:
    """Implements ProviderState on an engine from the SQL storage's `create_storage_engine`
    (its SQLite write lock and lock timeouts). Connects lazily; `dispose()` closes its pool."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def transaction(self) -> Iterator[_SqlRecords]:
        try:
            with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text(_PG_LOCK))
                yield _SqlRecords(conn)
        except (SQLAlchemyError, ConcurrentUpdate) as error:
            # As a provider that cannot answer: the caller retries with the same key.
            raise RetryablePaymentError(
                f"the simulated provider's records are unavailable (is the database migrated? "
                f"bkctl db upgrade): {error}"
            ) from error

    def dispose(self) -> None:
        self.engine.dispose()


class _SqlRecords:
    """Implements simcity's ProviderRecords on one connection, inside its transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def intent(self, intent_id: str) -> StoredIntent | None:
        row = self._conn.execute(_INTENT, {"intent_id": intent_id}).first()
        return None if row is None else _intent(row)

    def intents(self, booking_id: str | None = None) -> list[StoredIntent]:
        if booking_id is None:
            return [_intent(row) for row in self._conn.execute(_INTENTS)]
        rows = self._conn.execute(_INTENTS_OF, {"of_booking": booking_id})
        return [_intent(row) for row in rows]

    def intent_count(self) -> int:
        return self._scalar(_INTENT_COUNT)

    def put_intent(self, intent: StoredIntent) -> None:
        values = {
            "booking_id": intent.booking_id,
            "amount": intent.amount.amount,
            "currency": intent.amount.currency,
            "status": str(intent.status),
            "amount_captured": intent.amount_captured,
            "amount_refunded": intent.amount_refunded,
            "created_at": intent.created,
        }
        changed = self._conn.execute(_UPDATE_INTENT, {"intent_id": intent.id, **values})
        if changed.rowcount == 0:
            number = self.intent_count() + 1  # the transaction holds the write lock
            self._conn.execute(_INSERT_INTENT, {"id": intent.id, "number": number, **values})

    def saved(self, key: str) -> SavedResult | None:
        row = self._conn.execute(_SAVED, {"saved_key": key}).first()
        if row is None:
            return None
        return SavedResult(row.operation, row.fingerprint, _outcome(row.result), row.saved_at)

    def save(self, key: str, saved: SavedResult) -> None:
        # A key whose 24 hours are over is used afresh: its old record is replaced.
        self._conn.execute(_FORGET_KEY, {"saved_key": key})
        row = {
            "key": key,
            "operation": saved.operation,
            "fingerprint": saved.fingerprint,
            "result": _outcome_json(saved.result),
            "saved_at": saved.at,
        }
        self._conn.execute(_SAVE_KEY, row)

    def effects(self) -> list[Effect]:
        rows = self._conn.execute(_EFFECTS)
        return [
            Effect(r.seq, r.idempotency_key, r.operation, r.intent_id, r.amount, r.at) for r in rows
        ]

    def effect_count(self) -> int:
        return self._scalar(_EFFECT_COUNT)

    def add_effect(self, effect: Effect) -> None:
        row = {
            "seq": effect.seq,
            "idempotency_key": effect.idempotency_key,
            "operation": effect.operation,
            "intent_id": effect.intent_id,
            "amount": effect.amount,
            "at": effect.at,
        }
        self._conn.execute(_ADD_EFFECT, row)

    def pending(self) -> list[PendingWebhook]:
        return [_webhook(row) for row in self._queued()]

    def add_pending(self, event: PendingWebhook) -> None:
        row = {
            "event_id": event.event_id,
            "type": event.type,
            "payload": event.payload,
            "due_at": event.due_at,
        }
        self._conn.execute(_ADD_WEBHOOK, row)

    def take_pending(self, index: int) -> PendingWebhook:
        row = self._queued()[index]
        self._conn.execute(_TAKE_WEBHOOK, {"webhook_id": row.id})
        return _webhook(row)

    def take_due(self, now: datetime) -> list[PendingWebhook]:
        rows = self._queued(due_by=now)
        ids = [row.id for row in rows]
        if ids:
            self._conn.execute(_TAKE_WEBHOOKS, {"webhook_ids": ids})
        return [_webhook(row) for row in rows]

    def _queued(self, due_by: datetime | None = None) -> list[Row[Any]]:
        if due_by is None:
            return list(self._conn.execute(_QUEUED))
        return list(self._conn.execute(_QUEUED_DUE, {"due_by": due_by}))

    def _scalar(self, query: Any) -> int:
        return int(self._conn.execute(query).scalar_one())


def _intent(row: Row[Any]) -> StoredIntent:
    return StoredIntent(
        id=row.id,
        booking_id=row.booking_id,
        amount=Money(row.currency, row.amount),
        status=IntentStatus(row.status),
        created=row.created_at,
        amount_captured=row.amount_captured,
        amount_refunded=row.amount_refunded,
    )


def _webhook(row: Row[Any]) -> PendingWebhook:
    return PendingWebhook(row.event_id, row.type, bytes(row.payload), row.due_at)


def _money_json(money: Money) -> dict[str, Any]:
    return {"currency": money.currency, "amount": money.amount}


def _outcome_json(result: SavedOutcome) -> dict[str, Any]:
    if isinstance(result, CardDeclined):
        return {"kind": "declined", "message": result.message}
    if isinstance(result, PermanentPaymentError):
        return {"kind": "refusal", "message": result.message}
    if isinstance(result, RefundView):
        return {
            "kind": "refund",
            "id": result.id,
            "intent_id": result.intent_id,
            "amount": _money_json(result.amount),
            "status": result.status,
        }
    return {
        "kind": "intent",
        "id": result.id,
        "booking_id": result.booking_id,
        "status": str(result.status),
        "amount": _money_json(result.amount),
        "amount_captured": result.amount_captured,
        "amount_refunded": result.amount_refunded,
    }


def _outcome(value: dict[str, Any]) -> SavedOutcome:
    def money(m: dict[str, Any]) -> Money:
        return Money(m["currency"], int(m["amount"]))

    if value["kind"] == "declined":
        return CardDeclined(value["message"])
    if value["kind"] == "refusal":
        return PermanentPaymentError(value["message"])
    if value["kind"] == "refund":
        return RefundView(value["id"], value["intent_id"], money(value["amount"]), value["status"])
    booking_id = value["booking_id"]
    return IntentView(
        id=value["id"],
        booking_id=BookingId(booking_id) if booking_id is not None else None,
        status=IntentStatus(value["status"]),
        amount=money(value["amount"]),
        amount_captured=value["amount_captured"],
        amount_refunded=value["amount_refunded"],
    )
