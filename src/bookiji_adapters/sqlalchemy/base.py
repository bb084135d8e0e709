"""What the repositories share: the unit of work's connection and dialect-aware inserts."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, Executable, Table
from sqlalchemy.dialects import postgresql, sqlite

from bookiji_adapters.sqlalchemy.held import HeldWrites
from bookiji_core.values import Interval, VendorId


class HistorySink(Protocol):
    def add(self, chain: str, row: dict[str, Any]) -> None: ...

    def flush(self, conn: Connection, only: str | None = None) -> None: ...

    def insert_if_absent(
        self, conn: Connection, chain: str, row: dict[str, Any], key: Sequence[str]
    ) -> bool: ...


class ConnectionSource(Protocol):
    @property
    def connection(self) -> Connection: ...

    @property
    def history(self) -> HistorySink: ...

    @property
    def held(self) -> HeldWrites: ...

    def after_commit(self, action: Callable[[Engine], None]) -> None:
        """Run `action` once this unit of work's block has committed (not on a rollback)."""
        ...


class SqlAlchemyRepository:
    """A repository works on the connection (and transaction) of its unit of work."""

    def __init__(self, source: ConnectionSource) -> None:
        self._source = source

    @property
    def _conn(self) -> Connection:
        return self._source.connection

    def _chained(self, chain: str, row: dict[str, Any]) -> None:
        """Queue a history row: it is chained and inserted at commit (history.py)."""
        self._source.history.add(chain, row)

    def _history_of(self, chain: str) -> Connection:
        """The connection, once this transaction's queued rows of `chain` are written."""
        self._source.history.flush(self._conn, chain)
        return self._conn

    def _intervals_by_vendor(
        self, statement: Executable, vendor_ids: Iterable[VendorId], within: Interval
    ) -> Mapping[VendorId, Sequence[Interval]]:
        """Run a (vendor_id, starts_at, ends_at) query for `vendor_ids` over `within`; every
        vendor asked about gets a list, empty if nothing matched."""
        found: dict[VendorId, list[Interval]] = {vid: [] for vid in vendor_ids}
        if not found:
            return found
        params = {"vendor_ids": list(found), "start": within.start, "end": within.end}
        # .all(): one fetchall; iterating the result fetches row by row, in Python.
        for vendor_id, starts_at, ends_at in self._conn.execute(statement, params).all():
            found[vendor_id].append(Interval(starts_at, ends_at))
        return found


def _insert(dialect: str, table: Table) -> postgresql.Insert | sqlite.Insert:
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no storage support for {dialect}")


# The statements are built once per shape and the row goes as parameters: building one per
# call (with .values(row)) cost about three times as much as running it on SQLite.
@cache
def _upsert(
    dialect: str, table: Table, columns: tuple[str, ...], key: tuple[str, ...]
) -> Executable:
    stmt = _insert(dialect, table)
    changes = {name: stmt.excluded[name] for name in columns if name not in key}
    return stmt.on_conflict_do_update(index_elements=list(key), set_=changes)


@cache
def _insert_if_absent(dialect: str, table: Table, key: tuple[str, ...]) -> Executable:
    stmt = _insert(dialect, table).on_conflict_do_nothing(index_elements=list(key))
    # SQLAlchemy reads an INSERT's rowcount only when asked to.
    return stmt.execution_options(preserve_rowcount=True)


def upsert(conn: Connection, table: Table, row: Mapping[str, Any], key: Sequence[str]) -> None:
    """Insert, or replace the row with the same key (the in-memory store's `dict[key] = x`)."""
    conn.execute(_upsert(conn.dialect.name, table, tuple(row), tuple(key)), dict(row))


def insert_if_absent(
    conn: Connection, table: Table, row: Mapping[str, Any], key: Sequence[str]
) -> bool:
    """Insert unless the key exists (waiting for an uncommitted twin); True if inserted."""
    stmt = _insert_if_absent(conn.dialect.name, table, tuple(key))
    return conn.execute(stmt, dict(row)).rowcount == 1
