"""Apply the Alembic migrations shipped inside this package, programmatically."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from bookiji_adapters.sqlalchemy.roles import Roles, RolesRefused, is_service, upgrade_with_roles

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(
    engine: Engine,
    revision: str = "head",
    *,
    history_key: bytes | None = None,
    roles: Roles | None = None,
) -> None:
    """Migrate to `revision` in one transaction; concurrent callers wait for each other.
    `history_key` chains the history rows that exist when the chains are added (0011). On
    PostgreSQL with `roles`, the migrations run as the owner role and the service role gets
    its grants (roles.py); the service itself only checks the schema is current."""
    config = alembic_config()
    if history_key is not None:
        config.attributes["history_key"] = history_key
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Several processes starting at once must not run the same DDL twice. (SQLite's
            # BEGIN IMMEDIATE already serialises them.)
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('bookiji.migrate'))"))
        config.attributes["connection"] = connection
        if roles is None or connection.dialect.name != "postgresql":
            command.upgrade(config, revision)
        elif is_service(connection, roles):
            _require_head(connection, config)
        elif roles.manage:
            upgrade_with_roles(connection, roles, lambda: command.upgrade(config, revision))
        else:
            command.upgrade(config, revision)


def _require_head(connection: Connection, config: Config) -> None:
    current = MigrationContext.configure(connection).get_current_revision()
    head = ScriptDirectory.from_config(config).get_current_head()
    if current != head:
        raise RolesRefused(
            f"the schema is at {current}, not {head}, and the service role may not migrate: "
            "run bkctl db upgrade with BOOKIJI_MIGRATION_DATABASE_URL (docs/security.md)"
        )
