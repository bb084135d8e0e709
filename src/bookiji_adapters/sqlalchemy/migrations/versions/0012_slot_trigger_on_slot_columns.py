"""SQLite: the slot-exclusivity check on UPDATE fires only when a column it reads changes.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

The trigger of 0002 ran its overlap query for every UPDATE of an active booking, whatever
changed: erasing the card references of a customer's 10,000 bookings with one vendor ran
10,000 scans of that vendor's bookings (docs/benchmarks.md, "Privacy at scale"). An overlap
can only appear when the vendor, the times, the state or the id change, so the UPDATE trigger
is now `BEFORE UPDATE OF` those columns; the INSERT trigger is unchanged. PostgreSQL's
exclusion constraint is untouched.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "('hold_placed', 'provider_confirmed', 'receipt_issued')"
# The same query as 0002's (kept verbatim: a migration never imports another).
SQLITE_OVERLAP = f"""
SELECT RAISE(ABORT, 'slot_taken') WHERE EXISTS (
    SELECT 1 FROM bookings AS other
    WHERE other.vendor_id = NEW.vendor_id AND other.id <> NEW.id
      AND other.state IN {ACTIVE}
      AND other.starts_at < NEW.ends_at AND NEW.starts_at < other.ends_at
);
"""
SLOT_COLUMNS = "id, vendor_id, starts_at, ends_at, state"


def _replace(of: str) -> None:
    op.execute("DROP TRIGGER bookings_slot_taken_on_update")
    op.execute(
        f"CREATE TRIGGER bookings_slot_taken_on_update BEFORE UPDATE{of} ON bookings "
        f"FOR EACH ROW WHEN NEW.state IN {ACTIVE} BEGIN {SQLITE_OVERLAP} END"
    )


def upgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        _replace(f" OF {SLOT_COLUMNS}")


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        _replace("")
