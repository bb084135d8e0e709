"""Hash chains over the history tables: the access log, the admins' audit, the booking audit
and the ledger (docs/security.md, "Tamper-evident history").

Each row gets a position in its table's chain (`chain_seq`, 1, 2, ...) and `row_hash` =
HMAC-SHA256(key, previous row's hash + the row's canonical content); the `history_heads` row
of the chain keeps the last position and hash, with a MAC, as the checkpoint that shows a
truncation. Rows are chained in the adapter as they are written:

- the access log, the admins' audit and the booking audit are written at commit
  (`HistoryWriter.flush`), so the chain heads are the last locks a transaction takes: a
  head is held only for its inserts and the commit, and no lock cycle can go through it;
- a ledger entry is chained as it is inserted, since its caller needs to know at once whether
  it was new; its head is locked first, so a concurrent twin has committed (or not) by then.

On PostgreSQL a head is locked `FOR UPDATE`; on SQLite every writer already holds the
database's write lock (`BEGIN IMMEDIATE`). Heads are locked in name order. A head is read
once per transaction, when it is locked: since no other transaction can move it until this one
ends, the writer keeps where this transaction has taken it and writes it back once, at commit
(a batch of ledger entries costs one insert each, not a lock, an insert and an update).

A booking audit's free-text `reason` is erasable (privacy): the chain covers
`reason_digest` = SHA-256(`reason_salt` + reason) instead, and erasure replaces the reason and
drops the salt, so the digest no longer says anything about the text (verify.py checks it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

import attrs
from sqlalchemy import Connection, Select, Table, bindparam, insert, select, update

from bookiji_adapters.sqlalchemy.base import insert_if_absent
from bookiji_adapters.sqlalchemy.id_lists import any_of
from bookiji_adapters.sqlalchemy.tables import (
    access_log,
    booking_audit,
    history_heads,
    ledger_entries,
    principal_actions,
)

GENESIS = "0" * 64
# The key when none is configured (local, test and simcity profiles): anyone who reads this
# can forge a chain, so production refuses to start without BOOKIJI_AUDIT_KEY.
DEVELOPMENT_KEY = b"bookiji-development-history-key"


@attrs.frozen
class Chain:
    name: str
    table: Table
    # The columns the hash covers, in the order they are written.
    columns: tuple[str, ...]


_BOOKING_AUDIT = ("booking_id", "from_state", "to_state", "action", "actor_type", "actor_id")
CHAINS: tuple[Chain, ...] = (
    Chain("access_log", access_log, ("subject_id", "actor_id", "purpose", "resource", "at")),
    Chain("booking_audit", booking_audit, (*_BOOKING_AUDIT, "at", "reason_digest")),
    Chain(
        "ledger_entries",
        ledger_entries,
        ("key", "booking_id", "intent_id", "kind", "amount", "currency", "gateway_ref", "at"),
    ),
    Chain(
        "principal_actions",
        principal_actions,
        ("at", "actor_id", "action", "subject_id", "role", "reason"),
    ),
)
BY_NAME = {chain.name: chain for chain in CHAINS}


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def canonical(chain: Chain, seq: int, row: Mapping[str, Any]) -> bytes:
    content = {name: _plain(row[name]) for name in chain.columns}
    body = {"chain": chain.name, "seq": seq, "row": content}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def link(key: bytes, previous: str, chain: Chain, seq: int, row: Mapping[str, Any]) -> str:
    message = previous.encode() + b"\n" + canonical(chain, seq, row)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def head_mac(key: bytes, chain: str, seq: int, head: str) -> str:
    return hmac.new(key, f"head\n{chain}\n{seq}\n{head}".encode(), hashlib.sha256).hexdigest()


def reason_digest(salt: str, reason: str) -> str:
    return hashlib.sha256((salt + reason).encode()).hexdigest()


def with_reason_digest(row: dict[str, Any]) -> dict[str, Any]:
    """A booking audit row with its reason's salt and digest."""
    salt = secrets.token_hex(16)
    return {**row, "reason_salt": salt, "reason_digest": reason_digest(salt, row["reason"])}


# Built once: every write of a booking runs them (a statement built per call costs about
# three times what running it does on SQLite).
_h = history_heads.c
_LOCK_HEAD = select(_h.seq, _h.head_hash).where(_h.chain == bindparam("chain")).with_for_update()
_SET_HEAD = (
    update(history_heads)
    .where(_h.chain == bindparam("which"))
    .values(seq=bindparam("seq"), head_hash=bindparam("head_hash"), mac=bindparam("mac"))
)
_INSERT = {chain.name: insert(chain.table) for chain in CHAINS}


@cache
def _keys_among(chain: str, key: str) -> Select[tuple[Any]]:
    """The `key` values of `chain` among the list bound as `keys` (built once per chain)."""
    column = BY_NAME[chain].table.c[key]
    return select(column).where(any_of(column, "keys"))


def lock_head(conn: Connection, key: bytes, chain: str) -> tuple[int, str]:
    """The chain's last position and hash, its head row locked until the transaction ends."""
    found = conn.execute(_LOCK_HEAD, {"chain": chain}).first()
    if found is None:  # a database emptied by hand (tests): start the chain again
        insert_if_absent(conn, history_heads, head_row(key, chain, 0, GENESIS), ["chain"])
        found = conn.execute(_LOCK_HEAD, {"chain": chain}).first()
        assert found is not None
    return int(found.seq), str(found.head_hash)


def head_row(key: bytes, chain: str, seq: int, head: str) -> dict[str, Any]:
    return {"chain": chain, "seq": seq, "head_hash": head, "mac": head_mac(key, chain, seq, head)}


def set_head(conn: Connection, key: bytes, chain: str, seq: int, head: str) -> None:
    params = {"which": chain, "seq": seq, "head_hash": head, "mac": head_mac(key, chain, seq, head)}
    conn.execute(_SET_HEAD, params)


class HistoryWriter:
    """The chained rows of one unit of work: queued ones go in at commit, in name order."""

    def __init__(self, key: bytes) -> None:
        self.key = key
        self._pending: dict[str, list[dict[str, Any]]] = {}
        # The heads this transaction holds locked, as it has moved them; and those moved on
        # since they were read, to write back at commit.
        self._held: dict[str, tuple[int, str]] = {}
        self._moved: set[str] = set()

    def _head(self, conn: Connection, chain: str) -> tuple[int, str]:
        held = self._held.get(chain)
        if held is None:
            held = self._held[chain] = lock_head(conn, self.key, chain)
        return held

    def _move(self, chain: str, seq: int, head: str) -> None:
        self._held[chain] = (seq, head)
        self._moved.add(chain)

    def add(self, chain: str, row: dict[str, Any]) -> None:
        self._pending.setdefault(chain, []).append(row)

    def flush(self, conn: Connection, only: str | None = None) -> None:
        """Write the queued rows (of chain `only`, or all): a read of a chain flushes it first,
        so that a transaction sees what it wrote. Without `only` (at commit) the heads moved
        are written back too, and forgotten: the commit releases their locks."""
        for name in sorted(self._pending):
            if only is not None and name != only:
                continue
            rows = self._pending.pop(name)
            chain = BY_NAME[name]
            seq, head = self._head(conn, name)
            chained = []
            for row in rows:
                seq += 1
                head = link(self.key, head, chain, seq, row)
                chained.append({**row, "chain_seq": seq, "row_hash": head})
            conn.execute(_INSERT[name], chained)
            self._move(name, seq, head)
        if only is None:
            for name in sorted(self._moved):
                set_head(conn, self.key, name, *self._held[name])
            self._held.clear()
            self._moved.clear()

    def insert_if_absent(
        self, conn: Connection, chain: str, row: dict[str, Any], key: Sequence[str]
    ) -> bool:
        """Chain and insert `row` now unless its key exists; True if it was inserted."""
        found = BY_NAME[chain]
        seq, head = self._head(conn, chain)
        new = link(self.key, head, found, seq + 1, row)
        inserted = insert_if_absent(
            conn, found.table, {**row, "chain_seq": seq + 1, "row_hash": new}, key
        )
        if inserted:
            self._move(chain, seq + 1, new)
        return inserted

    def insert_many_if_absent(
        self, conn: Connection, chain: str, rows: list[dict[str, Any]], key: str
    ) -> None:
        """Chain and insert, in order, the rows whose `key` is not in the table yet (nor
        earlier in `rows`). With the head locked no other transaction can be adding a twin,
        so one read of the keys decides, and the new rows go in one executemany."""
        found = BY_NAME[chain]
        seq, head = self._head(conn, chain)
        wanted = [row[key] for row in rows]
        taken = set(conn.scalars(_keys_among(chain, key), {"keys": wanted}))
        chained = []
        for row in rows:
            if row[key] in taken:
                continue
            taken.add(row[key])
            seq += 1
            head = link(self.key, head, found, seq, row)
            chained.append({**row, "chain_seq": seq, "row_hash": head})
        if chained:
            conn.execute(_INSERT[chain], chained)
            self._move(chain, seq, head)

    def discard(self) -> None:
        self._pending.clear()
        self._held.clear()
        self._moved.clear()
