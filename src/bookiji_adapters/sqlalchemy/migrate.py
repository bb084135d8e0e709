"""Apply the Alembic migrations shipped inside this package, programmatically."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head", *, history_key: bytes | None = None) -> None:
    """Migrate to `revision` in one transaction; concurrent callers wait for each other.
    `history_key` chains the history rows that exist when the chains are added (0011)."""
    config = alembic_config()
    if history_key is not None:
        config.attributes["history_key"] = history_key
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Several processes starting at once must not run the same DDL twice. (SQLite's
            # BEGIN IMMEDIATE already serialises them.)
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('bookiji.migrate'))"))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
