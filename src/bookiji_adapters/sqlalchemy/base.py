"""What the repositories share: the unit of work's connection and dialect-aware inserts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, Protocol

from sqlalchemy import Connection, Executable, Table
from sqlalchemy.dialects import postgresql, sqlite


class ConnectionSource(Protocol):
    @property
    def connection(self) -> Connection: ...


class SqlAlchemyRepository:
    """A repository works on the connection (and transaction) of its unit of work."""

    def __init__(self, source: ConnectionSource) -> None:
        self._source = source

    @property
    def _conn(self) -> Connection:
        return self._source.connection


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
