"""Alembic environment: runs revisions on the connection handed in, or on the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from bookiji_adapters.simcity.sql_tables import metadata as simcity_metadata
from bookiji_adapters.sqlalchemy.engine import create_storage_engine
from bookiji_adapters.sqlalchemy.tables import metadata

config = context.config
# The database holds the storage's tables and SimCity's provider's (revision 0005).
schema = [metadata, simcity_metadata]


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=schema,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # SqlAlchemyStorage.upgrade, inside its transaction
        _run(connection)
        return
    engine = create_storage_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=schema,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
