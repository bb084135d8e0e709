"""The notification tables (revision 0008): what people are told, its delivery log, and each
person's address and opt-out per channel."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text

from bookiji_adapters.sqlalchemy.columns import Id, Serial, UtcDateTime, metadata

notifications = Table(
    "notifications",
    metadata,
    Column("id", Id, primary_key=True),
    Column("kind", String(64), nullable=False),
    Column("booking_id", Id, nullable=False),
    Column("principal_id", Id, nullable=False),
    Column("role", String(16), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("address", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("lease_owner", Text, nullable=True),
    Column("lease_until", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Index(None, "state", "next_attempt_at"),
    Index(None, "state", "lease_until"),
    Index(None, "booking_id"),
    Index(None, "principal_id"),
)

notification_deliveries = Table(
    "notification_deliveries",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("notification_id", Id, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("detail", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index(None, "notification_id"),
)

contact_channels = Table(
    "contact_channels",
    metadata,
    Column("principal_id", Id, primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("address", Text, nullable=False),
    Column("opted_out", Boolean, nullable=False),
    Column("secret", Text, nullable=True),
    Column("updated_at", UtcDateTime, nullable=True),
)
