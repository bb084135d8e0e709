"""Vendors' own catalogue: a schedule (time zone), weekly hours and dated exceptions, offers.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29

Additive only. Existing `vendor_windows` rows (the seeded dated windows) are not converted:
they stay and are read as explicit extra hours next to the weekly rules, so an existing
database keeps exactly the availability it had; an exception on a date replaces them on that
date. A vendor with no `vendor_schedules` row is read as its services at its one hourly rate,
any duration, and no weekly hours, until its first catalogue change writes the rows below.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ID = sa.String(64)


def _vendor(*, primary_key: bool = False) -> sa.Column[str]:
    vendor = sa.ForeignKey("vendors.id", ondelete="CASCADE")
    return sa.Column("vendor_id", ID, vendor, primary_key=primary_key, nullable=False)


def upgrade() -> None:
    op.create_table(
        "vendor_schedules",
        _vendor(primary_key=True),
        sa.Column("time_zone", sa.String(64), nullable=False),
    )
    op.create_table(
        "vendor_hours",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        _vendor(),
        sa.Column("weekday", sa.Integer, nullable=True),
        sa.Column("on_date", sa.Date, nullable=True),
        sa.Column("opens_minute", sa.Integer, nullable=True),
        sa.Column("closes_minute", sa.Integer, nullable=True),
    )
    op.create_index("ix_vendor_hours_vendor_id", "vendor_hours", ["vendor_id"])
    op.create_table(
        "vendor_offers",
        _vendor(primary_key=True),
        sa.Column("service_type", sa.String(64), primary_key=True),
        sa.Column("hourly_rate_amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("durations", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_index("ix_vendor_hours_vendor_id", "vendor_hours")
    for table in ("vendor_offers", "vendor_hours", "vendor_schedules"):
        op.drop_table(table)
