"""The tables of SimCity's provider in the project's database (created by revision 0005)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# The simulated provider owns its tables, as it owns its records: the SQL storage adapter does
# not know them. Same naming convention and column types as `sqlalchemy/tables.py`, so that
# both metadata together are what the migrations build (tests/integration/test_migrations.py).
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC out: TIMESTAMPTZ on PostgreSQL, UTC text on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"refusing to store a naive datetime: {value!r}")
        utc = value.astimezone(UTC)
        # SQLite's text format has no offset; storing UTC keeps its string order chronological.
        return utc if dialect.name == "postgresql" else utc.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# A 64-bit autoincrementing key; SQLite only autoincrements a column declared INTEGER.
Serial = BigInteger().with_variant(Integer(), "sqlite")
Id = String(64)
Currency = String(3)

simcity_intents = Table(
    "simcity_intents",
    metadata,
    Column("id", String(255), primary_key=True),
    Column("number", Integer, nullable=False, unique=True),
    Column("booking_id", Id, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", Currency, nullable=False),
    Column("status", String(32), nullable=False),
    Column("amount_captured", BigInteger, nullable=False),
    Column("amount_refunded", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "booking_id"),
)

simcity_idempotency_keys = Table(
    "simcity_idempotency_keys",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("operation", String(32), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("result", JSON, nullable=False),
    Column("saved_at", UtcDateTime, nullable=False),
)

simcity_effects = Table(
    "simcity_effects",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("idempotency_key", String(255), nullable=False),
    Column("operation", String(32), nullable=False),
    Column("intent_id", String(255), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

simcity_webhooks = Table(
    "simcity_webhooks",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("event_id", String(255), nullable=False),
    Column("type", String(128), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Index(None, "due_at"),
)
