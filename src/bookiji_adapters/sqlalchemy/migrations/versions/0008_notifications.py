"""Notifications: their outbox, the delivery log, and each person's channels and opt-outs.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30

Each notification is written in the transaction of the booking change that causes it and
delivered by `bkctl worker notifications` (docs/notifications.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ID = sa.String(64)


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", ID, primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("booking_id", ID, nullable=False),
        sa.Column("principal_id", ID, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        _time("created_at"),
        _time("next_attempt_at"),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("max_attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("lease_owner", sa.Text, nullable=True),
        _time("lease_until", nullable=True),
        _time("finished_at", nullable=True),
    )
    for columns in (["state", "next_attempt_at"], ["state", "lease_until"], ["booking_id"]):
        op.create_index(f"ix_notifications_{'_'.join(columns)}", "notifications", columns)
    op.create_index("ix_notifications_principal_id", "notifications", ["principal_id"])
    op.create_table(
        "notification_deliveries",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("notification_id", ID, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        _time("at"),
    )
    op.create_index(
        "ix_notification_deliveries_notification_id", "notification_deliveries", ["notification_id"]
    )
    op.create_table(
        "contact_channels",
        sa.Column("principal_id", ID),
        sa.Column("channel", sa.String(16)),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("opted_out", sa.Boolean, nullable=False),
        sa.Column("secret", sa.Text, nullable=True),
        _time("updated_at", nullable=True),
        sa.PrimaryKeyConstraint("principal_id", "channel"),
    )


def downgrade() -> None:
    op.drop_table("contact_channels")
    op.drop_index("ix_notification_deliveries_notification_id", "notification_deliveries")
    op.drop_table("notification_deliveries")
    for name in (
        "principal_id",
        "booking_id",
        "state_lease_until",
        "state_next_attempt_at",
    ):
        op.drop_index(f"ix_notifications_{name}", "notifications")
    op.drop_table("notifications")
