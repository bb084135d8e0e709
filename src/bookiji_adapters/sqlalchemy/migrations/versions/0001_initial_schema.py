"""Initial schema: catalogue, quotes, bookings, audit, outbox, idempotency, access, payments.

Revision ID: 0001
Revises:
Create Date: 2026-11-27

A frozen snapshot, on purpose: later revisions change the schema, never this file.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ID = sa.String(64)
CURRENCY = sa.String(3)


def _time(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "vendors",
        sa.Column("id", ID, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("phone", sa.Text, nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("latitude", sa.Double, nullable=False),
        sa.Column("longitude", sa.Double, nullable=False),
        sa.Column("zone", sa.Text, nullable=False),
        sa.Column("hourly_rate_amount", sa.BigInteger, nullable=False),
        sa.Column("currency", CURRENCY, nullable=False),
        sa.Column("rating", sa.Double, nullable=False),
        sa.Column("response_minutes", sa.Integer, nullable=False),
        sa.Column("synthetic", sa.Boolean, nullable=False),
    )
    op.create_table(
        "vendor_services",
        sa.Column("vendor_id", ID, sa.ForeignKey("vendors.id", ondelete="CASCADE")),
        sa.Column("service_type", sa.String(64)),
        sa.PrimaryKeyConstraint("vendor_id", "service_type"),
    )
    op.create_index("ix_vendor_services_service_type", "vendor_services", ["service_type"])
    op.create_table(
        "vendor_windows",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("vendor_id", ID, sa.ForeignKey("vendors.id", ondelete="CASCADE"), nullable=False),
        _time("starts_at"),
        _time("ends_at"),
    )
    op.create_index(
        "ix_vendor_windows_vendor_id_starts_at", "vendor_windows", ["vendor_id", "starts_at"]
    )
    op.create_table(
        "customers",
        sa.Column("id", ID, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("phone", sa.Text, nullable=False),
        sa.Column("synthetic", sa.Boolean, nullable=False),
    )
    op.create_table(
        "quotes",
        sa.Column("id", ID, primary_key=True),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("service_type", sa.String(64), nullable=False),
        sa.Column("latitude", sa.Double, nullable=False),
        sa.Column("longitude", sa.Double, nullable=False),
        sa.Column("radius_km", sa.Double, nullable=False),
        _time("starts_at"),
        _time("ends_at"),
        sa.Column("candidates", sa.JSON, nullable=False),
        sa.Column("price_amount", sa.BigInteger, nullable=False),
        sa.Column("price_currency", CURRENCY, nullable=False),
        sa.Column("eta_minutes", sa.Integer, nullable=False),
        sa.Column("fee_amount", sa.BigInteger, nullable=False),
        sa.Column("fee_currency", CURRENCY, nullable=False),
        _time("created_at"),
        _time("expires_at"),
        sa.Column("intent_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_quotes_intent_hash_expires_at", "quotes", ["intent_hash", "expires_at"])
    op.create_table(
        "bookings",
        sa.Column("id", ID, primary_key=True),
        sa.Column("quote_id", ID, nullable=False),
        sa.Column("customer_id", ID, nullable=False),
        sa.Column("vendor_id", ID, nullable=False),
        _time("starts_at"),
        _time("ends_at"),
        sa.Column("price_amount", sa.BigInteger, nullable=False),
        sa.Column("price_currency", CURRENCY, nullable=False),
        sa.Column("fee_amount", sa.BigInteger, nullable=False),
        sa.Column("fee_currency", CURRENCY, nullable=False),
        sa.Column("payment_method", sa.Text, nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("payment_status", sa.String(32), nullable=False),
        _time("hold_expires_at"),
        _time("created_at"),
        _time("updated_at"),
        sa.Column("payment_intent_id", sa.Text, nullable=True),
        sa.Column("payment_sequence", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("synthetic", sa.Boolean, nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_bookings_interval")),
    )
    op.create_index("ix_bookings_vendor_id_starts_at", "bookings", ["vendor_id", "starts_at"])
    op.create_index("ix_bookings_customer_id_created_at", "bookings", ["customer_id", "created_at"])
    op.create_index("ix_bookings_state_hold_expires_at", "bookings", ["state", "hold_expires_at"])
    op.create_table(
        "booking_audit",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("booking_id", ID, nullable=False),
        sa.Column("from_state", sa.String(32), nullable=False),
        sa.Column("to_state", sa.String(32), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("actor_type", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        _time("at"),
    )
    op.create_index("ix_booking_audit_booking_id", "booking_audit", ["booking_id"])
    op.create_table(
        "outbox_messages",
        sa.Column("id", ID, primary_key=True),
        sa.Column("booking_id", ID, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", CURRENCY, nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("intent_id", sa.String(255), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        _time("created_at"),
        _time("next_attempt_at"),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("max_attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("lease_owner", sa.Text, nullable=True),
        _time("lease_until", nullable=True),
        _time("committed_at", nullable=True),
    )
    op.create_index(
        "ix_outbox_messages_state_next_attempt_at", "outbox_messages", ["state", "next_attempt_at"]
    )
    op.create_index(
        "ix_outbox_messages_state_lease_until", "outbox_messages", ["state", "lease_until"]
    )
    op.create_index(
        "ix_outbox_messages_booking_id_sequence", "outbox_messages", ["booking_id", "sequence"]
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(255)),
        sa.Column("key", sa.String(255)),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        _time("created_at"),
        _time("expires_at"),
        _time("locked_until"),
        sa.Column("booking_id", ID, nullable=True),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("error_message", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("scope", "key"),
    )
    op.create_index("ix_idempotency_keys_expires_at", "idempotency_keys", ["expires_at"])
    op.create_table(
        "access_log",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("subject_id", ID, nullable=False),
        sa.Column("actor_id", ID, nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("resource", sa.Text, nullable=False),
        _time("at"),
    )
    op.create_index("ix_access_log_subject_id", "access_log", ["subject_id"])
    op.create_table(
        "principals",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("subject_id", ID, nullable=False),
    )
    op.create_index("ix_principals_subject_id", "principals", ["subject_id"])
    op.create_table(
        "ledger_entries",
        sa.Column("id", SERIAL, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("booking_id", ID, nullable=False),
        sa.Column("intent_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", CURRENCY, nullable=False),
        sa.Column("gateway_ref", sa.Text, nullable=False),
        _time("at"),
        sa.UniqueConstraint("key", name=op.f("uq_ledger_entries_key")),
    )
    op.create_index("ix_ledger_entries_booking_id", "ledger_entries", ["booking_id"])
    op.create_table(
        "webhook_inbox",
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("type", sa.String(128), nullable=False),
        _time("received_at"),
    )
    op.create_table(
        "controls",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        _time("updated_at"),
    )


def downgrade() -> None:
    for table in (
        "controls",
        "webhook_inbox",
        "ledger_entries",
        "principals",
        "access_log",
        "idempotency_keys",
        "outbox_messages",
        "booking_audit",
        "bookings",
        "quotes",
        "customers",
        "vendor_windows",
        "vendor_services",
        "vendors",
    ):
        op.drop_table(table)
