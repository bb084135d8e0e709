"""The queue of one process's writers in front of a SQLite file's one write lock."""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref

from bookiji_core.errors import LockTimeout


class WriteGate:
    """SQLite's busy handler waits for the write lock by sleeping and retrying, in steps that
    grow to 100 ms: under load the lock often sits free while every waiter sleeps, and a
    writer that has waited long keeps losing to newcomers that retry sooner. Writers of this
    process (every engine on the file) wait here instead, on a lock that wakes the next one
    as soon as the transaction ahead ends. BEGIN IMMEDIATE still decides between processes."""

    def __init__(self, timeout_seconds: float) -> None:
        self.timeout_seconds = timeout_seconds
        self._lock = threading.Lock()

    def enter(self) -> None:
        if not self._lock.acquire(timeout=self.timeout_seconds):
            raise LockTimeout("the database is locked by another transaction of this process")

    def leave(self) -> None:
        self._lock.release()

    def _reset_after_fork(self) -> None:
        # A forked child has only the forking thread: a gate some other thread held at the
        # fork would stay shut for good.
        self._lock = threading.Lock()


_gates: weakref.WeakValueDictionary[str, WriteGate] = weakref.WeakValueDictionary()
_gates_lock = threading.Lock()
_fork_hook: list[bool] = []


def gate_for_file(path: str, timeout_seconds: float) -> WriteGate:
    """The one gate of this process for the SQLite file at `path`."""
    key = os.path.realpath(path)
    with _gates_lock:
        if not _fork_hook:
            os.register_at_fork(after_in_child=_reset_gates)
            _fork_hook.append(True)
        gate = _gates.get(key)
        if gate is None:
            gate = _gates[key] = WriteGate(timeout_seconds)
        return gate


def _reset_gates() -> None:
    global _gates_lock
    _gates_lock = threading.Lock()
    for gate in list(_gates.values()):
        gate._reset_after_fork()


class GatedConnection(sqlite3.Connection):
    """sqlite3's connection (its `factory`) that holds its file's gate while a writing
    transaction is open, and lets it go the moment that transaction ends, however it ends."""

    gate: WriteGate | None = None
    _holding = False

    def enter_gate(self) -> None:
        if self.gate is not None and not self._holding:
            self.gate.enter()
            self._holding = True

    def leave_gate(self) -> None:
        if self._holding and self.gate is not None:
            self._holding = False
            self.gate.leave()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.leave_gate()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.leave_gate()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.leave_gate()
