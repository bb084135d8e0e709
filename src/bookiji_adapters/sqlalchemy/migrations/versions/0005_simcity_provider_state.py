"""SimCity's payment provider in the database: its intents, idempotency keys, effects and
pending webhooks.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28

The local profile's simulated provider keeps its state here, so that `bkctl serve`, a
`bkctl worker outbox` and the `bkctl ledger|dlq|rollback` commands on one database see one
provider, and a restart forgets nothing. No card reference is stored (a saved request keeps a
fingerprint of its parameters). The production profile uses Stripe and leaves them empty.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ID = sa.String(64)
CURRENCY = sa.String(3)


def _time(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "simcity_intents",
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("booking_id", ID, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", CURRENCY, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("amount_captured", sa.BigInteger, nullable=False),
        sa.Column("amount_refunded", sa.BigInteger, nullable=False),
        _time("created_at"),
        sa.UniqueConstraint("number", name=op.f("uq_simcity_intents_number")),
    )
    op.create_index("ix_simcity_intents_booking_id", "simcity_intents", ["booking_id"])
    op.create_table(
        "simcity_idempotency_keys",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("operation", sa.String(32), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
        _time("saved_at"),
    )
    op.create_table(
        "simcity_effects",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("operation", sa.String(32), nullable=False),
        sa.Column("intent_id", sa.String(255), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        _time("at"),
    )
    op.create_table(
        "simcity_webhooks",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("type", sa.String(128), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        _time("due_at"),
    )
    op.create_index("ix_simcity_webhooks_due_at", "simcity_webhooks", ["due_at"])


def downgrade() -> None:
    op.drop_index("ix_simcity_webhooks_due_at", "simcity_webhooks")
    op.drop_index("ix_simcity_intents_booking_id", "simcity_intents")
    for table in (
        "simcity_webhooks",
        "simcity_effects",
        "simcity_idempotency_keys",
        "simcity_intents",
    ):
        op.drop_table(table)
