"""The writers of one process queue for a SQLite file's write lock on the file's write gate."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from bookiji_adapters.sqlalchemy import SqlAlchemyStorage
from bookiji_adapters.sqlalchemy.engine import _begin
from bookiji_adapters.sqlalchemy.write_gate import GatedConnection, gate_for_file
from bookiji_core import Principal, Role
from bookiji_core.errors import LockTimeout
from bookiji_core.values import CustomerId


@pytest.fixture
def short_gate(sqlite_storage: SqlAlchemyStorage, monkeypatch: pytest.MonkeyPatch) -> None:
    database = sqlite_storage.url.database
    assert database is not None
    monkeypatch.setattr(gate_for_file(database, 5.0), "timeout_seconds", 0.2)


def customer(n: int) -> Principal:
    return Principal(Role.CUSTOMER, f"c{n}")


@pytest.mark.usefixtures("short_gate")
def test_a_writer_waits_for_the_writer_ahead_and_gives_up_as_a_lock_timeout(
    sqlite_storage: SqlAlchemyStorage,
) -> None:
    with sqlite_storage.unit_of_work() as first:
        first.principals.add("h1", customer(1))
        started = time.monotonic()
        with pytest.raises(LockTimeout), sqlite_storage.unit_of_work() as second:
            second.principals.add("h2", customer(2))
        assert time.monotonic() - started >= 0.2
        first.commit()


@pytest.mark.usefixtures("short_gate")
def test_every_engine_on_the_file_shares_the_gate(sqlite_storage: SqlAlchemyStorage) -> None:
    other = SqlAlchemyStorage(str(sqlite_storage.url))
    try:
        with sqlite_storage.unit_of_work() as first:
            first.principals.add("h1", customer(1))
            started = time.monotonic()
            with pytest.raises(LockTimeout), other.unit_of_work() as second:
                second.principals.add("h2", customer(2))
            # The gate's 0.2 s, not SQLite's 5-second busy timeout.
            assert time.monotonic() - started < 2.0
    finally:
        other.dispose()


@pytest.mark.usefixtures("short_gate")
def test_the_gate_is_let_go_when_the_transaction_ends_not_when_the_block_does(
    sqlite_storage: SqlAlchemyStorage,
) -> None:
    with sqlite_storage.unit_of_work() as first:
        first.principals.add("h1", customer(1))
        first.commit()
        with sqlite_storage.unit_of_work() as second:
            second.principals.add("h2", customer(2))
            second.commit()
        first.principals.add("h3", customer(3))  # a new transaction: it queues again
        first.rollback()
        with sqlite_storage.unit_of_work() as third:
            third.principals.add("h4", customer(4))
            third.commit()
    with sqlite_storage.unit_of_work().read_only() as check:
        assert check.principals.by_token_hash("h2") == customer(2)
        assert check.principals.by_token_hash("h3") is None
        assert check.principals.by_token_hash("h4") == customer(4)


@pytest.mark.usefixtures("short_gate")
def test_a_reader_does_not_take_the_gate(sqlite_storage: SqlAlchemyStorage) -> None:
    with sqlite_storage.unit_of_work() as writer:
        writer.principals.add("h1", customer(1))
        with sqlite_storage.unit_of_work().read_only() as reader:
            assert reader.principals.by_token_hash("h1") is None
        writer.commit()


@pytest.mark.usefixtures("short_gate")
def test_an_error_inside_the_block_lets_the_gate_go(sqlite_storage: SqlAlchemyStorage) -> None:
    with pytest.raises(RuntimeError, match="boom"), sqlite_storage.unit_of_work() as failing:
        failing.principals.add("h1", customer(1))
        raise RuntimeError("boom")
    with sqlite_storage.unit_of_work() as next_writer:
        next_writer.principals.add("h2", customer(2))
        next_writer.commit()


def test_writers_in_many_threads_all_get_through(sqlite_storage: SqlAlchemyStorage) -> None:
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for k in range(20):
                with sqlite_storage.unit_of_work() as uow:
                    uow.principals.add(f"h{n}-{k}", customer(n))
                    uow.commit()
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with sqlite_storage.unit_of_work().read_only() as check:
        assert check.principals.by_token_hash("h15-19") == customer(15)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_is_not_shut_out_by_a_gate_held_at_the_fork(tmp_path: Path) -> None:
    gate = gate_for_file(str(tmp_path / "forked.db"), 0.2)
    gate.enter()  # held, as by another thread's transaction, when the process forks
    try:
        child = os.fork()
        if child == 0:  # pragma: no cover - the child reports through its exit status
            try:
                gate.enter()
                gate.leave()
            except BaseException:
                os._exit(1)
            os._exit(0)
        _, status = os.waitpid(child, 0)
    finally:
        gate.leave()
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_begin_refused_by_another_process_lock_is_a_lock_timeout(
    sqlite_storage: SqlAlchemyStorage,
) -> None:
    """BEGIN IMMEDIATE goes to the driver directly: the lock another process holds (a plain
    connection here, outside this process's gate) still ends as LockTimeout, and the gate is
    let go so that the next writer of this process is not shut out."""
    database = sqlite_storage.url.database
    assert database is not None
    other = sqlite3.connect(database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        pooled = sqlite_storage.engine.raw_connection()  # the one the unit of work reuses
        pooled.driver_connection.execute("PRAGMA busy_timeout = 50")  # type: ignore[union-attr]
        pooled.close()
        with pytest.raises(LockTimeout), sqlite_storage.unit_of_work() as uow:
            uow.customers.get(CustomerId("nobody"))
    finally:
        other.execute("ROLLBACK")
        other.close()
    with sqlite_storage.unit_of_work() as uow:
        uow.commit()


def test_a_begin_that_fails_otherwise_is_sqlalchemy_operational_error(tmp_path: Path) -> None:
    raw = GatedConnection(str(tmp_path / "x.db"), isolation_level=None)
    raw.execute("BEGIN")
    with pytest.raises(OperationalError, match="within a transaction"):
        _begin(raw, "BEGIN IMMEDIATE")
    raw.close()
