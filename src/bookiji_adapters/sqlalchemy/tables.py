"""The schema as SQLAlchemy Core tables: what the repositories query (migrations create it)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from bookiji_adapters.sqlalchemy.columns import Currency, Id, Serial, UtcDateTime
from bookiji_adapters.sqlalchemy.columns import metadata as metadata

# States in which a booking holds the vendor's time; the slot constraint and triggers use them.
ACTIVE_BOOKING_STATES = ("hold_placed", "provider_confirmed", "receipt_issued")


vendors = Table(
    "vendors",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", Text, nullable=False),
    Column("email", Text, nullable=False),
    Column("phone", Text, nullable=False),
    Column("address", Text, nullable=False),
    Column("latitude", Double, nullable=False),
    Column("longitude", Double, nullable=False),
    Column("zone", Text, nullable=False),
    Column("hourly_rate_amount", BigInteger, nullable=False),
    Column("currency", Currency, nullable=False),
    Column("rating", Double, nullable=False),
    Column("response_minutes", Integer, nullable=False),
    Column("synthetic", Boolean, nullable=False),
)

vendor_services = Table(
    "vendor_services",
    metadata,
    Column("vendor_id", Id, ForeignKey("vendors.id", ondelete="CASCADE"), primary_key=True),
    Column("service_type", String(64), primary_key=True),
    Index(None, "service_type"),
)

vendor_windows = Table(
    "vendor_windows",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("vendor_id", Id, ForeignKey("vendors.id", ondelete="CASCADE"), nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=False),
    Index(None, "vendor_id", "starts_at"),
)

# The vendors' own catalogue (migration 0007): one schedule row, its hours, its offers.
vendor_schedules = Table(
    "vendor_schedules",
    metadata,
    Column("vendor_id", Id, ForeignKey("vendors.id", ondelete="CASCADE"), primary_key=True),
    Column("time_zone", String(64), nullable=False),
)

# A weekly range has a weekday (0 = Monday); an exception has a date, and no hours if closed.
vendor_hours = Table(
    "vendor_hours",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("vendor_id", Id, ForeignKey("vendors.id", ondelete="CASCADE"), nullable=False),
    Column("weekday", Integer, nullable=True),
    Column("on_date", Date, nullable=True),
    Column("opens_minute", Integer, nullable=True),
    Column("closes_minute", Integer, nullable=True),
    Index(None, "vendor_id"),
)

vendor_offers = Table(
    "vendor_offers",
    metadata,
    Column("vendor_id", Id, ForeignKey("vendors.id", ondelete="CASCADE"), primary_key=True),
    Column("service_type", String(64), primary_key=True),
    Column("hourly_rate_amount", BigInteger, nullable=False),
    Column("currency", Currency, nullable=False),
    # Allowed durations in minutes, comma-separated; empty allows any.
    Column("durations", Text, nullable=False),
)

customers = Table(
    "customers",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", Text, nullable=False),
    Column("email", Text, nullable=False),
    Column("phone", Text, nullable=False),
    Column("synthetic", Boolean, nullable=False),
)

quotes = Table(
    "quotes",
    metadata,
    Column("id", Id, primary_key=True),
    Column("customer_id", Id, nullable=False),
    Column("service_type", String(64), nullable=False),
    Column("latitude", Double, nullable=False),
    Column("longitude", Double, nullable=False),
    Column("radius_km", Double, nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=False),
    Column("candidates", JSON, nullable=False),
    Column("price_amount", BigInteger, nullable=False),
    Column("price_currency", Currency, nullable=False),
    Column("eta_minutes", Integer, nullable=False),
    Column("fee_amount", BigInteger, nullable=False),
    Column("fee_currency", Currency, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("intent_hash", String(64), nullable=False),
    Index(None, "intent_hash", "expires_at"),
)

bookings = Table(
    "bookings",
    metadata,
    Column("id", Id, primary_key=True),
    Column("quote_id", Id, nullable=False),
    Column("customer_id", Id, nullable=False),
    Column("vendor_id", Id, nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=False),
    Column("price_amount", BigInteger, nullable=False),
    Column("price_currency", Currency, nullable=False),
    Column("fee_amount", BigInteger, nullable=False),
    Column("fee_currency", Currency, nullable=False),
    Column("payment_method", Text, nullable=False),
    Column("state", String(32), nullable=False),
    Column("payment_status", String(32), nullable=False),
    Column("hold_expires_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("payment_intent_id", Text, nullable=True),
    Column("payment_sequence", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("synthetic", Boolean, nullable=False),
    CheckConstraint("ends_at > starts_at", name="interval"),
    Index(None, "vendor_id", "starts_at"),
    Index(None, "customer_id", "created_at"),
    Index(None, "state", "hold_expires_at"),
)

outbox_messages = Table(
    "outbox_messages",
    metadata,
    Column("id", Id, primary_key=True),
    Column("booking_id", Id, nullable=False),
    Column("action", String(32), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", Currency, nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("intent_id", String(255), nullable=True),
    Column("state", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("lease_owner", Text, nullable=True),
    Column("lease_until", UtcDateTime, nullable=True),
    Column("committed_at", UtcDateTime, nullable=True),
    Column("correlation_id", String(128), nullable=True),
    Index(None, "state", "next_attempt_at"),
    Index(None, "state", "lease_until"),
    Index(None, "booking_id", "sequence"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(255), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("locked_until", UtcDateTime, nullable=False),
    Column("booking_id", Id, nullable=True),
    Column("error_code", String(64), nullable=True),
    Column("error_message", Text, nullable=True),
    Index(None, "expires_at"),
)

principals = Table(
    "principals",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("subject_id", Id, nullable=False),
    # NULL issue and expiry: a token from before tokens expired (0006), which never expires.
    Column("issued_at", UtcDateTime, nullable=True),
    Column("expires_at", UtcDateTime, nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
    Index(None, "subject_id"),
)

admins = Table(
    "admins",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", Text, nullable=False),
    Column("email", Text, nullable=False),
    Column("phone", Text, nullable=False),
)

webhook_inbox = Table(
    "webhook_inbox",
    metadata,
    Column("id", String(255), primary_key=True),
    Column("type", String(128), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
)

controls = Table(
    "controls",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Imported here so that `metadata` always holds the whole schema (migrations compare to it).
from bookiji_adapters.sqlalchemy import notification_tables as _notifications  # noqa: E402, F401
from bookiji_adapters.sqlalchemy import workers as _workers  # noqa: E402, F401
from bookiji_adapters.sqlalchemy.history_tables import access_log as access_log  # noqa: E402
from bookiji_adapters.sqlalchemy.history_tables import (  # noqa: E402
    booking_audit as booking_audit,
)
from bookiji_adapters.sqlalchemy.history_tables import (  # noqa: E402
    history_heads as history_heads,
)
from bookiji_adapters.sqlalchemy.history_tables import (  # noqa: E402
    ledger_entries as ledger_entries,
)
from bookiji_adapters.sqlalchemy.history_tables import (  # noqa: E402
    principal_actions as principal_actions,
)
