"""The privacy request queue: export and delete requests served in priority order.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

Served by `bkctl worker privacy` (and inside `bkctl serve`); docs/privacy.md, "The queue".
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(64)


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "privacy_requests",
        sa.Column("id", ID, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject_id", ID, nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("requested_by", ID, nullable=False),
        _time("requested_at"),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("lease_owner", sa.Text, nullable=True),
        _time("lease_until", nullable=True),
        _time("started_at", nullable=True),
        _time("finished_at", nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("result", sa.Text, nullable=True),
    )
    op.create_index(
        "ix_privacy_requests_serving", "privacy_requests", ["state", "priority", "requested_at"]
    )
    op.create_index("ix_privacy_requests_subject", "privacy_requests", ["subject_id"])


def downgrade() -> None:
    op.drop_table("privacy_requests")
