"""Writes held back until the transaction's next statement, so that a batch goes in one
`executemany` instead of a round trip each (the relay records twenty deliveries at once).

A write is held only when its outcome is known before it runs:

- an update of a row this transaction has locked (read `FOR UPDATE` on PostgreSQL; on SQLite
  every writer holds the database's write lock), at the version the update expects, that
  does not make a booking take a slot it did not hold: no other transaction can have moved
  the row, so the version check passes and there is no slot conflict to report;
- a ledger entry added unless its key exists: decided when it goes in, once the ledger's
  chain head is locked (history.py), which is where the answer is known for certain.

The unit of work flushes held writes before any other statement on its connection (every
repository reaches the connection through it) and at commit, so nothing in the transaction
reads past a held write. They go in grouped by statement, in the order each statement was
first held: they are updates of rows already locked and inserts into an append-only table,
so writes to different tables commute, and one row's writes keep their order.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import Connection, Executable

from bookiji_core.errors import ConcurrentUpdate


class LedgerSink(Protocol):
    def insert_many_if_absent(
        self, conn: Connection, chain: str, rows: list[dict[str, Any]], key: str
    ) -> None: ...


class HeldWrites:
    """One unit of work's held writes and the rows its transaction has locked."""

    def __init__(self) -> None:
        # Insertion-ordered: a statement's group goes in where it was first held.
        self._updates: dict[Executable, list[dict[str, Any]]] = {}
        self._ledger: list[dict[str, Any]] = []
        # (table, row id) -> what the row was when this transaction locked it (or last
        # wrote it): a booking's (version, active); an outbox message's True.
        self._locked: dict[tuple[str, str], object] = {}

    def locked(self, table: str, row_id: str, seen: object) -> None:
        self._locked[(table, row_id)] = seen

    def seen(self, table: str, row_id: str) -> object:
        """What the row was when this transaction locked (or last wrote) it; None if it
        holds no lock on it."""
        return self._locked.get((table, row_id))

    def update(self, stmt: Executable, params: dict[str, Any]) -> None:
        """Hold an update that matches exactly one locked row (checked when it goes in)."""
        self._updates.setdefault(stmt, []).append(params)

    def ledger(self, row: dict[str, Any]) -> None:
        self._ledger.append(row)

    def __bool__(self) -> bool:
        return bool(self._updates or self._ledger)

    def flush(self, conn: Connection, history: LedgerSink) -> None:
        updates, self._updates = self._updates, {}
        ledger, self._ledger = self._ledger, []
        for stmt, rows in updates.items():
            changed = conn.execute(stmt, rows).rowcount
            if changed != len(rows):  # only if the lock was not what it seemed: nothing commits
                raise ConcurrentUpdate(
                    f"{len(rows) - changed} of {len(rows)} held updates found no row to change"
                )
        if ledger:
            history.insert_many_if_absent(conn, "ledger_entries", ledger, "key")

    def discard(self) -> None:
        self._updates.clear()
        self._ledger.clear()
        self._locked.clear()
