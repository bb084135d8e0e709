"""A test-only crash drill: SIGKILL this process at a transaction boundary of a confirm.

`BOOKIJI_TEST_CRASH_AT=before:N` (or `after:N`) kills the process just before (after) the Nth
commit, counted from the start of the process, of a transaction that wrote an idempotency
record: a confirm's claim, then its work with the record completed (or its refusal stored).
Unset, nothing is installed (no listener, no counter); the production profile refuses the
setting. `tests/e2e/test_crash_inside_confirm.py` uses it (docs/security.md, "Crash drill").
"""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

from sqlalchemy import Connection, Engine, event

# Set on a connection's info by a statement that writes the idempotency table.
MARK = "bookiji_idempotency_write"


class CrashDrill:
    def __init__(self, engine: Engine, spec: str) -> None:
        phase, _, count = spec.partition(":")
        self.phase = phase
        self.count = int(count)
        self.seen = 0
        self._lock = threading.Lock()
        event.listen(engine, "before_cursor_execute", _mark)
        event.listen(engine, "rollback", _unmark)

    def around_commit(self, connection: Connection, phase: str) -> None:
        """Called by the unit of work just before ("before") and after ("after") a commit."""
        if phase == "before":
            if not connection.info.pop(MARK, False):
                connection.info["bookiji_drill_counted"] = False
                return
            with self._lock:
                self.seen += 1
                connection.info["bookiji_drill_counted"] = self.seen
        number = connection.info.get("bookiji_drill_counted")
        if number == self.count and phase == self.phase:
            os.kill(os.getpid(), signal.SIGKILL)


def _mark(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
    head = statement.lstrip()[:6].upper()
    if head in ("INSERT", "UPDATE", "DELETE") and "idempotency_keys" in statement[:200]:
        conn.info[MARK] = True


def _unmark(conn: Connection) -> None:
    conn.info.pop(MARK, None)
