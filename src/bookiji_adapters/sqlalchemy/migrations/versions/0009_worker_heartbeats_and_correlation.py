"""Worker heartbeats, and the correlation id an outbox message carries from its request.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

`bkctl worker` writes a heartbeat row per worker and process (read by `bkctl worker status`
and exported by /metrics); the relay logs each message with the X-Request-ID of the request
that queued it (docs/processes.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "worker_heartbeats",
        sa.Column("worker", sa.String(64), primary_key=True),
        sa.Column("host", sa.String(255), primary_key=True),
        sa.Column("pid", sa.Integer, primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("concurrency", sa.Integer, nullable=False),
    )
    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(sa.Column("correlation_id", sa.String(128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_column("correlation_id")
    op.drop_table("worker_heartbeats")
