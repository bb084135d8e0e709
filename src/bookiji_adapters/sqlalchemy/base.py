"""What the repositories share: the unit of work's connection and dialect-aware inserts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import Connection, Table
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


def _insert(conn: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no storage support for {conn.dialect.name}")


def upsert(conn: Connection, table: Table, row: Mapping[str, Any], key: Sequence[str]) -> None:
    """Insert, or replace the row with the same key (the in-memory store's `dict[key] = x`)."""
    stmt = _insert(conn, table).values(dict(row))
    changes = {name: stmt.excluded[name] for name in row if name not in key}
    conn.execute(stmt.on_conflict_do_update(index_elements=list(key), set_=changes))


def insert_if_absent(
    conn: Connection, table: Table, row: Mapping[str, Any], key: Sequence[str]
) -> bool:
    """Insert unless the key exists (waiting for an uncommitted twin); True if inserted."""
    stmt = _insert(conn, table).values(dict(row)).on_conflict_do_nothing(index_elements=list(key))
    # SQLAlchemy reads an INSERT's rowcount only when asked to.
    return conn.execute(stmt.execution_options(preserve_rowcount=True)).rowcount == 1
