"""Engines for SQLite and PostgreSQL URLs, with SQLite set up for safe concurrent writers."""

from __future__ import annotations

import sqlite3
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import OperationalError

from bookiji_adapters.sqlalchemy.write_gate import GatedConnection, WriteGate, gate_for_file
from bookiji_core.errors import ConcurrentUpdate, LockTimeout

# How long a transaction waits for a lock (a PostgreSQL row or advisory lock, SQLite's write
# lock) before it gives up with LockTimeout, so that a stuck peer cannot stall every request.
LOCK_TIMEOUT_MS = 5000
# The execution option that marks a connection of a read-only unit of work.
READ_ONLY = "bookiji_read_only"
# PostgreSQL SQLSTATEs: lock_not_available, deadlock_detected, serialization_failure.
_PG_LOCK_TIMEOUT, _PG_DEADLOCK, _PG_SERIALIZATION = "55P03", "40P01", "40001"


class Deadlock(ConcurrentUpdate):
    """PostgreSQL broke a cycle of lock waits by aborting this statement."""


def normalise_url(url: str | URL) -> URL:
    """`postgresql://` and `postgres://` mean psycopg 3; anything else is taken as given."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def create_storage_engine(url: str | URL) -> Engine:
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(parsed)
    else:
        engine = create_engine(
            parsed,
            pool_pre_ping=True,
            connect_args={"options": f"-c lock_timeout={LOCK_TIMEOUT_MS}"},
        )
    event.listen(engine, "handle_error", _translate_contention)
    return engine


def _translate_contention(context: ExceptionContext) -> None:
    """Lock waits that ran out, deadlocks and serialisation failures become the domain's
    retryable errors; everything else stays a SQLAlchemy error."""
    error = context.original_exception
    domain = _contention(error)
    if domain is not None:
        raise domain from error


def _contention(error: BaseException) -> ConcurrentUpdate | LockTimeout | None:
    """The domain's retryable error for a driver's error, or None if it is no contention."""
    sqlstate = getattr(error, "sqlstate", None)
    if sqlstate == _PG_LOCK_TIMEOUT or "database is locked" in str(error):
        return LockTimeout(f"the record is locked by another transaction: {error}")
    if sqlstate == _PG_DEADLOCK:
        return Deadlock(f"a concurrent transaction got in the way: {error}")
    if sqlstate == _PG_SERIALIZATION:
        return ConcurrentUpdate(f"a concurrent transaction got in the way: {error}")
    return None


def _sqlite_engine(url: URL) -> Engine:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        # Each pooled connection would get a database of its own (and WAL needs a file).
        raise ValueError(f"SQLite storage needs a file path, e.g. sqlite:///var/bookiji.db: {url}")
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"factory": GatedConnection})
    gate = gate_for_file(database, LOCK_TIMEOUT_MS / 1000)
    event.listen(engine, "connect", partial(_on_sqlite_connect, gate))
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(gate: WriteGate, dbapi_connection: Any, _record: object) -> None:
    # Take BEGIN away from the sqlite3 driver (it would defer it past SELECTs); see _on_begin.
    dbapi_connection.isolation_level = None
    dbapi_connection.gate = gate
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {LOCK_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _on_sqlite_begin(connection: Connection) -> None:
    # Take the write lock up front: a deferred transaction that reads and then writes can fail
    # with SQLITE_BUSY at once (no busy wait) when another writer got in between. A read-only
    # unit of work never writes, so it begins deferred: under WAL it reads a snapshot of what
    # is committed and neither waits for the writer nor makes the writers wait.
    # BEGIN goes to the driver directly: through SQLAlchemy's execution path it cost a tenth
    # of a request's CPU (docs/benchmarks.md); its errors are translated here instead.
    raw: GatedConnection = connection.connection.dbapi_connection  # type: ignore[assignment]
    if connection.get_execution_options().get(READ_ONLY):
        _begin(raw, "BEGIN")
        return
    # Writers of this process queue on the file's gate first (see write_gate.py); the
    # connection lets it go when the transaction commits or rolls back.
    raw.enter_gate()
    try:
        _begin(raw, "BEGIN IMMEDIATE")
    except BaseException:
        raw.leave_gate()
        raise


def _begin(raw: GatedConnection, statement: str) -> None:
    """`statement` on the sqlite3 connection, its errors translated as SQLAlchemy's path
    would: contention as `_translate_contention` does, anything else OperationalError."""
    try:
        raw.execute(statement)
    except sqlite3.OperationalError as error:
        raise _contention(error) or OperationalError(statement, None, error) from error
