"""Tokens that expire and can be revoked, admins' own records, and the append-only audit of
admins' decisions about access.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

Existing tokens keep NULL issue and expiry times: they never expire, as before, until an
admin rotates or revokes them. `principal_actions` refuses UPDATE and DELETE, like the access
log (0003).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ID = sa.String(64)
MESSAGE = "principal_actions is append-only"
PG_FUNCTION = f"""
CREATE FUNCTION principal_actions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
END
$$
"""


def _time(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("principals") as batch:
        for name in ("issued_at", "expires_at", "revoked_at"):
            batch.add_column(_time(name, nullable=True))
    op.create_table(
        "admins",
        sa.Column("id", ID, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("phone", sa.Text, nullable=False),
    )
    op.create_table(
        "principal_actions",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        _time("at"),
        sa.Column("actor_id", ID, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("subject_id", ID, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_principal_actions_subject_id", "principal_actions", ["subject_id"])
    op.create_index("ix_principal_actions_actor_id", "principal_actions", ["actor_id"])
    if op.get_context().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER principal_actions_append_only BEFORE UPDATE OR DELETE "
            "ON principal_actions FOR EACH ROW EXECUTE FUNCTION principal_actions_append_only()"
        )
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER principal_actions_no_{event.lower()} BEFORE {event} "
            f"ON principal_actions BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER principal_actions_append_only ON principal_actions")
        op.execute("DROP FUNCTION principal_actions_append_only()")
    else:
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER principal_actions_no_{event}")
    op.drop_index("ix_principal_actions_actor_id", "principal_actions")
    op.drop_index("ix_principal_actions_subject_id", "principal_actions")
    op.drop_table("principal_actions")
    op.drop_table("admins")
    with op.batch_alter_table("principals") as batch:
        for name in ("revoked_at", "expires_at", "issued_at"):
            batch.drop_column(name)
