"""The payments ledger, the webhook inbox and the operator controls, as SQL rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, RowMapping, Text, bindparam, cast, select
from sqlalchemy import update as sql_update

from bookiji_adapters.sqlalchemy.base import SqlAlchemyRepository, insert_if_absent, upsert
from bookiji_adapters.sqlalchemy.tables import controls, ledger_entries, webhook_inbox
from bookiji_core.ledger import LedgerEntry, LedgerKind
from bookiji_core.values import BookingId, Money
from bookiji_core.webhooks import ReceivedEvent

_l = ledger_entries.c
# Built once: every webhook and every relay round (the pause switch) runs them.
_INBOX_GET = select(webhook_inbox).where(webhook_inbox.c.id == bindparam("event_id"))
_CONTROL = select(controls.c.value).where(controls.c.name == bindparam("name"))


def ledger_entry(row: RowMapping) -> LedgerEntry:
    return LedgerEntry(
        booking_id=BookingId(row["booking_id"]),
        intent_id=row["intent_id"],
        kind=LedgerKind(row["kind"]),
        amount=Money(row["currency"], row["amount"]),
        gateway_ref=row["gateway_ref"],
        at=row["at"],
    )


def _row(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "key": entry.key,
        "booking_id": entry.booking_id,
        "intent_id": entry.intent_id,
        "kind": entry.kind.value,
        "amount": entry.amount.amount,
        "currency": entry.amount.currency,
        "gateway_ref": entry.gateway_ref,
        "at": entry.at,
    }


class SqlAlchemyLedger(SqlAlchemyRepository):
    """Append-only: an effect is written once, by its unique key, whoever sees it first."""

    def append(self, entry: LedgerEntry) -> bool:
        row = _row(entry)
        return self._source.history.insert_if_absent(self._conn, "ledger_entries", row, ["key"])

    def record(self, entry: LedgerEntry) -> None:
        # Held to go in with the transaction's other entries, the head locked then (held.py).
        self._source.held.ledger(_row(entry))

    def for_booking(self, booking_id: BookingId) -> list[LedgerEntry]:
        stmt = select(ledger_entries).where(_l.booking_id == booking_id).order_by(_l.id)
        return [ledger_entry(row) for row in self._conn.execute(stmt).mappings()]

    def booking_ids(self, *, after: str = "", limit: int = 500) -> list[BookingId]:
        # Code-point order on PostgreSQL too, as SQLite and Python sort strings.
        pg = self._conn.dialect.name == "postgresql"
        order = _l.booking_id.collate("C") if pg else _l.booking_id
        stmt = select(order).distinct().where(order > after).order_by(order).limit(limit)
        return [BookingId(found) for found in self._conn.scalars(stmt)]


class SqlAlchemyWebhookInbox(SqlAlchemyRepository):
    def add(self, event: ReceivedEvent) -> bool:
        # On PostgreSQL a concurrent uncommitted twin makes this wait, then report False.
        row = {"id": event.id, "type": event.type, "received_at": event.received_at}
        return insert_if_absent(self._conn, webhook_inbox, row, ["id"])

    def get(self, event_id: str) -> ReceivedEvent | None:
        row = self._conn.execute(_INBOX_GET, {"event_id": event_id}).mappings().first()
        return None if row is None else ReceivedEvent(row["id"], row["type"], row["received_at"])


class SqlAlchemyControls(SqlAlchemyRepository):
    def get(self, name: str) -> str | None:
        value: str | None = self._conn.scalar(_CONTROL, {"name": name})
        return value

    def set(self, name: str, value: str, at: datetime) -> None:
        upsert(self._conn, controls, {"name": name, "value": value, "updated_at": at}, ["name"])

    def increment(self, name: str, by: float, at: datetime) -> None:
        # One statement, so concurrent increments from several processes all count.
        row = {"name": name, "value": "0", "updated_at": at}
        insert_if_absent(self._conn, controls, row, ["name"])
        total = cast(cast(controls.c.value, Float) + by, Text)
        stmt = sql_update(controls).where(controls.c.name == name)
        self._conn.execute(stmt.values(value=total, updated_at=at))

    def with_prefix(self, prefix: str) -> dict[str, str]:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = select(controls.c.name, controls.c.value).where(
            controls.c.name.like(escaped + "%", escape="\\")
        )
        return {name: value for name, value in self._conn.execute(stmt)}
