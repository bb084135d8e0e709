"""The schema's shared pieces: its MetaData (naming convention) and column types."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


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

    # On SQLite every timestamp read or written went through two layers of Python per value
    # (this decorator, then SQLite's DATETIME text format): a quote reads ~200 of them, and
    # that cost more than SQLite took to run the queries. One function per direction does
    # the same conversion: the text is SQLAlchemy's own storage format (microseconds always
    # written, so the strings still sort chronologically), tests/unit/test_utc_datetime.py
    # checks it against SQLAlchemy's processors. Other dialects keep the two layers.

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def to_text(value: datetime | None) -> str | None:
            if value is None:
                return None
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"refusing to store a naive datetime: {value!r}")
            utc = value if value.tzinfo is UTC else value.astimezone(UTC)
            return utc.isoformat(" ", "microseconds")[:26]  # without the "+00:00"

        return to_text

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def from_text(value: str | None) -> datetime | None:
            if value is None:
                return None
            try:  # written without an offset (UTC): parsed aware at once, no replace()
                parsed = datetime.fromisoformat(value + "+00:00")
            except ValueError:  # the text carries its own offset
                parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:  # a date alone ignores the appended offset
                return parsed.replace(tzinfo=UTC)
            return parsed if parsed.tzinfo is UTC else parsed.astimezone(UTC)

        return from_text


# A 64-bit autoincrementing key; SQLite only autoincrements a column declared INTEGER.
Serial = BigInteger().with_variant(Integer(), "sqlite")
Id = String(64)
Currency = String(3)
