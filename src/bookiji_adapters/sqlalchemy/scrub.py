"""After an erasure commits: make the old values leave the database's files (docs/privacy.md,
"Nothing left on disk").

- SQLite: the shredder's transaction runs with `secure_delete` on, so the cells it rewrites
  are zeroed in the pages it writes; but those pages, and every earlier version of them (the
  booking as first written, with the card reference), sit in the `-wal` file until a
  checkpoint copies the newest into the main file. `wal_checkpoint(TRUNCATE)` does that now,
  waiting (busy timeout) for readers of older snapshots, and empties the `-wal` file.
- PostgreSQL: an UPDATE leaves the old row version in the table until VACUUM marks its space
  reusable; `VACUUM` of the tables an erasure rewrites does that now rather than at
  autovacuum's next visit. It needs to own the tables (it warns and skips them otherwise, as
  for a least-privileged service role: autovacuum then does it). It does not overwrite the
  bytes there and then, nor reach WAL segments or backups: docs/privacy.md says what does.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine

log = logging.getLogger(__name__)

# The tables an erasure rewrites (docs/privacy/pii_map.yml).
ERASED_TABLES = (
    "customers",
    "vendors",
    "admins",
    "quotes",
    "bookings",
    "booking_audit",
    "principals",
    "idempotency_keys",
    "vendor_windows",
    "notifications",
    "contact_channels",
    "privacy_requests",
)


def scrub_after_erasure(engine: Engine) -> None:
    try:
        if engine.dialect.name == "sqlite":
            _checkpoint(engine)
        elif engine.dialect.name == "postgresql":
            _vacuum(engine)
    except Exception:  # the erasure itself is committed; the next one scrubs again
        log.warning("could not scrub the database files after an erasure", exc_info=True)


def _checkpoint(engine: Engine) -> None:
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        try:
            busy, _log, _done = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            cursor.close()
    if busy:
        log.warning("the WAL checkpoint after an erasure was blocked by a reader; will retry")


def _vacuum(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        present = set(
            conn.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            ).scalars()
        )
        tables = [t for t in ERASED_TABLES if t in present]
        if tables:
            conn.exec_driver_sql(f"VACUUM {', '.join(tables)}")
