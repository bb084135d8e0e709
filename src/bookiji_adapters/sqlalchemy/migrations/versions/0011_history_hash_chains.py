"""Hash chains over the history tables, their heads, and guards against rewriting them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

The access log, the admins' audit (`principal_actions`), the booking audit and the ledger get a
position and an HMAC chained from the row before (bookiji_adapters/sqlalchemy/history.py);
existing rows are chained in id order, with the key the migrating process was given.
`history_heads` keeps each chain's last position and hash. The database refuses UPDATE and
DELETE of history rows (a booking audit's reason may only be erased) and, on PostgreSQL,
TRUNCATE, of the history tables and of the heads.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bookiji_adapters.sqlalchemy.history import (
    CHAINS,
    DEVELOPMENT_KEY,
    GENESIS,
    Chain,
    head_mac,
    link,
    reason_digest,
)

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("access_log", "principal_actions", "ledger_entries")
TABLES = (*APPEND_ONLY, "booking_audit")
# The booking audit columns erasure must leave as they are (it changes reason and reason_salt).
KEPT = (
    "id",
    "booking_id",
    "from_state",
    "to_state",
    "action",
    "actor_type",
    "actor_id",
    "at",
    "reason_digest",
    "chain_seq",
    "row_hash",
)
PG_APPEND_ONLY = """
CREATE FUNCTION bookiji_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END
$$
"""
PG_ERASURE_ONLY = f"""
CREATE FUNCTION booking_audit_erasure_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF ({", ".join("NEW." + c for c in KEPT)}) IS NOT DISTINCT FROM
       ({", ".join("OLD." + c for c in KEPT)}) AND NEW.reason_salt IS NULL THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'booking_audit is append-only (only a reason may be erased)'
        USING ERRCODE = 'restrict_violation';
END
$$
"""


def _key() -> bytes:
    config = op.get_context().config
    key = config.attributes.get("history_key") if config is not None else None
    return key if isinstance(key, bytes) else DEVELOPMENT_KEY


def upgrade() -> None:
    pg = op.get_context().dialect.name == "postgresql"
    _drop_0003_0006_guards(pg)
    for table in TABLES:
        op.add_column(table, sa.Column("chain_seq", sa.BigInteger, nullable=True))
        op.add_column(table, sa.Column("row_hash", sa.String(64), nullable=True))
    op.add_column("booking_audit", sa.Column("reason_salt", sa.String(32), nullable=True))
    op.add_column("booking_audit", sa.Column("reason_digest", sa.String(64), nullable=True))
    heads = op.create_table(
        "history_heads",
        sa.Column("chain", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False),
    )
    key = _key()
    op.bulk_insert(heads, [_chain_existing(chain, key) for chain in CHAINS])
    for table in TABLES:
        op.create_index(f"ix_{table}_chain_seq", table, ["chain_seq"], unique=True)
    if pg:
        _pg_guards()
    else:
        _sqlite_guards()


def _chain_existing(chain: Chain, key: bytes) -> dict[str, object]:
    """Chain the rows already there, in id order; the head row of the chain."""
    bind = op.get_bind()
    table = chain.table  # the declared table: its UtcDateTime reads `at` back as UTC
    names = [n for n in chain.columns if n != "reason_digest"]
    if chain.name == "booking_audit":
        names.append("reason")
    seq, head = 0, GENESIS
    found = bind.execute(sa.select(table.c.id, *(table.c[n] for n in names)).order_by(table.c.id))
    for row in found.mappings().all():
        values = dict(row)
        changes: dict[str, object] = {}
        if chain.name == "booking_audit":
            salt = secrets.token_hex(16)
            changes = {"reason_salt": salt, "reason_digest": reason_digest(salt, values["reason"])}
            values |= changes
        seq += 1
        head = link(key, head, chain, seq, values)
        changes |= {"chain_seq": seq, "row_hash": head}
        bind.execute(sa.update(table).where(table.c.id == values["id"]).values(changes))
    mac = head_mac(key, chain.name, seq, head)
    return {"chain": chain.name, "seq": seq, "head_hash": head, "mac": mac}


def _drop_0003_0006_guards(pg: bool) -> None:
    for table in ("access_log", "principal_actions"):
        if pg:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(f"DROP FUNCTION {table}_append_only()")
        else:
            for event in ("update", "delete"):
                op.execute(f"DROP TRIGGER {table}_no_{event}")


def _pg_guards() -> None:
    op.execute(PG_APPEND_ONLY)
    op.execute(PG_ERASURE_ONLY)
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION bookiji_append_only()"
        )
    op.execute(
        "CREATE TRIGGER booking_audit_no_delete BEFORE DELETE ON booking_audit "
        "FOR EACH ROW EXECUTE FUNCTION bookiji_append_only()"
    )
    op.execute(
        "CREATE TRIGGER booking_audit_erasure_only BEFORE UPDATE ON booking_audit "
        "FOR EACH ROW EXECUTE FUNCTION booking_audit_erasure_only()"
    )
    op.execute(
        "CREATE TRIGGER history_heads_no_delete BEFORE DELETE ON history_heads "
        "FOR EACH ROW EXECUTE FUNCTION bookiji_append_only()"
    )
    for table in (*TABLES, "history_heads"):
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION bookiji_append_only()"
        )


def _sqlite_guards() -> None:
    def refuse(name: str, event: str, table: str, when: str = "") -> None:
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {event} ON {table} {when} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        )

    for table in APPEND_ONLY:
        refuse(f"{table}_no_update", "UPDATE", table)
        refuse(f"{table}_no_delete", "DELETE", table)
    refuse("booking_audit_no_delete", "DELETE", "booking_audit")
    refuse("booking_audit_erasure_only", f"UPDATE OF {', '.join(KEPT)}", "booking_audit")
    refuse(
        "booking_audit_salt_dropped_only",
        "UPDATE OF reason_salt",
        "booking_audit",
        "WHEN NEW.reason_salt IS NOT NULL",
    )
    refuse("history_heads_no_delete", "DELETE", "history_heads")


def downgrade() -> None:
    pg = op.get_context().dialect.name == "postgresql"
    if pg:
        for table in (*TABLES, "history_heads"):
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP TRIGGER booking_audit_no_delete ON booking_audit")
        op.execute("DROP TRIGGER booking_audit_erasure_only ON booking_audit")
        op.execute("DROP TRIGGER history_heads_no_delete ON history_heads")
        op.execute("DROP FUNCTION booking_audit_erasure_only()")
        op.execute("DROP FUNCTION bookiji_append_only()")
    else:
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_no_update")
            op.execute(f"DROP TRIGGER {table}_no_delete")
        for name in ("booking_audit_no_delete", "booking_audit_erasure_only"):
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TRIGGER booking_audit_salt_dropped_only")
        op.execute("DROP TRIGGER history_heads_no_delete")
    for table in TABLES:
        op.drop_index(f"ix_{table}_chain_seq", table)
    op.drop_table("history_heads")
    with op.batch_alter_table("booking_audit") as batch:
        for name in ("row_hash", "chain_seq", "reason_digest", "reason_salt"):
            batch.drop_column(name)
    for table in APPEND_ONLY:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("row_hash")
            batch.drop_column("chain_seq")
    _restore_0003_0006_guards(pg)


def _restore_0003_0006_guards(pg: bool) -> None:
    for table in ("access_log", "principal_actions"):
        if pg:
            op.execute(
                f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN RAISE EXCEPTION '{table} is append-only' "
                "USING ERRCODE = 'restrict_violation'; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
            )
        else:
            for event in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
