"""The history tables (append-only, each carrying a hash chain: history.py) and their heads.

Migration 0011 adds the chain columns and `history_heads`, and the database's guards: UPDATE,
DELETE and (on PostgreSQL) TRUNCATE are refused, except the erasure of a booking audit's
reason.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, String, Table, Text

from bookiji_adapters.sqlalchemy.columns import Currency, Id, Serial, UtcDateTime, metadata

booking_audit = Table(
    "booking_audit",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("booking_id", Id, nullable=False),
    Column("from_state", String(32), nullable=False),
    Column("to_state", String(32), nullable=False),
    Column("action", String(64), nullable=False),
    Column("actor_type", String(16), nullable=False),
    Column("actor_id", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    # The reason is erasable: the chain covers SHA-256(salt + reason); erasure drops the salt.
    Column("reason_salt", String(32), nullable=True),
    Column("reason_digest", String(64), nullable=True),
    # The hash chain (history.py): position, and HMAC of the previous hash and this row.
    Column("chain_seq", BigInteger, nullable=True),
    Column("row_hash", String(64), nullable=True),
    Index(None, "chain_seq", unique=True),
    Index(None, "booking_id"),
)


access_log = Table(
    "access_log",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("subject_id", Id, nullable=False),
    Column("actor_id", Id, nullable=False),
    Column("purpose", String(64), nullable=False),
    Column("resource", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    # The hash chain (history.py): position, and HMAC of the previous hash and this row.
    Column("chain_seq", BigInteger, nullable=True),
    Column("row_hash", String(64), nullable=True),
    Index(None, "chain_seq", unique=True),
    Index(None, "subject_id"),
)


# Append-only (the database refuses UPDATE and DELETE): admins' decisions about access.
principal_actions = Table(
    "principal_actions",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor_id", Id, nullable=False),
    Column("action", String(16), nullable=False),
    Column("subject_id", Id, nullable=False),
    Column("role", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    # The hash chain (history.py): position, and HMAC of the previous hash and this row.
    Column("chain_seq", BigInteger, nullable=True),
    Column("row_hash", String(64), nullable=True),
    Index(None, "chain_seq", unique=True),
    Index(None, "subject_id"),
    Index(None, "actor_id"),
)


ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("key", String(255), nullable=False, unique=True),
    Column("booking_id", Id, nullable=False),
    Column("intent_id", String(255), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", Currency, nullable=False),
    Column("gateway_ref", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    # The hash chain (history.py): position, and HMAC of the previous hash and this row.
    Column("chain_seq", BigInteger, nullable=True),
    Column("row_hash", String(64), nullable=True),
    Index(None, "chain_seq", unique=True),
    Index(None, "booking_id"),
)

# One row per chain: the last position and hash, and their MAC (the truncation checkpoint).
history_heads = Table(
    "history_heads",
    metadata,
    Column("chain", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("head_hash", String(64), nullable=False),
    Column("mac", String(64), nullable=False),
)
