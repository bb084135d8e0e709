"""Slot exclusivity in the database: no two active bookings of one vendor may overlap.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

PostgreSQL: a GiST exclusion constraint over [starts_at, ends_at). SQLite: triggers that abort
an overlapping insert or update (writers are serialised by BEGIN IMMEDIATE, so the check
cannot race). Both report "slot_taken", which the adapter maps to the domain's SlotTaken.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "('hold_placed', 'provider_confirmed', 'receipt_issued')"

PG_CONSTRAINT = f"""
ALTER TABLE bookings ADD CONSTRAINT ex_bookings_slot_taken
EXCLUDE USING gist (vendor_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
WHERE (state IN {ACTIVE})
"""

SQLITE_OVERLAP = f"""
SELECT RAISE(ABORT, 'slot_taken') WHERE EXISTS (
    SELECT 1 FROM bookings AS other
    WHERE other.vendor_id = NEW.vendor_id AND other.id <> NEW.id
      AND other.state IN {ACTIVE}
      AND other.starts_at < NEW.ends_at AND NEW.starts_at < other.ends_at
);
"""


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(PG_CONSTRAINT)
        return
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER bookings_slot_taken_on_{event.lower()} BEFORE {event} ON bookings "
            f"FOR EACH ROW WHEN NEW.state IN {ACTIVE} BEGIN {SQLITE_OVERLAP} END"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("ALTER TABLE bookings DROP CONSTRAINT ex_bookings_slot_taken")
        return
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER bookings_slot_taken_on_{event}")
