"""Privacy: tombstones of deletion requests, and indexes to find one person's rows quickly.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

A tombstone holds ids, times and the officer's reason, never personal data. The indexes let
an export or a shred find a customer's quotes and the audit rows a person wrote without a
full scan (the privacy SLO is 60 seconds, whatever the size of the tables).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "privacy_tombstones",
        sa.Column("subject_id", sa.String(64), primary_key=True),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("shredded_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_privacy_tombstones_state_requested_at",
        "privacy_tombstones",
        ["state", "requested_at"],
    )
    op.create_index("ix_quotes_customer_id", "quotes", ["customer_id"])
    op.create_index("ix_booking_audit_actor_id", "booking_audit", ["actor_id"])


def downgrade() -> None:
    op.drop_index("ix_booking_audit_actor_id", "booking_audit")
    op.drop_index("ix_quotes_customer_id", "quotes")
    op.drop_index("ix_privacy_tombstones_state_requested_at", "privacy_tombstones")
    op.drop_table("privacy_tombstones")
