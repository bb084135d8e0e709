"""Alembic environment: runs revisions on the connection handed in (`bkctl db upgrade`), or,
from the alembic command line, on the database the configuration names (alembic.ini)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from alembic import context
from alembic.util import CommandError
from sqlalchemy import Connection, make_url

from bookiji_adapters.simcity.sql_tables import metadata as simcity_metadata
from bookiji_adapters.sqlalchemy.engine import create_storage_engine
from bookiji_adapters.sqlalchemy.tables import metadata

config = context.config
# The database holds the storage's tables and SimCity's provider's (revision 0005).
schema = [metadata, simcity_metadata]


def configured_url(*, must_exist: bool) -> str:
    """`sqlalchemy.url` if a caller set it, else what `bookiji.database_url_from` returns;
    a CommandError (alembic prints it as one line) when there is none or it names no
    database yet. Nothing here creates a database."""
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        url = _from_hook(config.get_main_option("bookiji.database_url_from") or "")
    parsed = make_url(url)
    database = parsed.database or ""
    is_file = parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:")
    if must_exist and is_file and not Path(database).is_file():
        raise CommandError(
            f"no SQLite database at {database}: alembic does not create one "
            "(bkctl db upgrade creates and migrates it)"
        )
    return url


def _from_hook(hook: str) -> str:
    module, _, name = hook.partition(":")
    if not module or not name:
        raise CommandError("no database: set sqlalchemy.url or bookiji.database_url_from")
    function: Callable[[], str] = getattr(importlib.import_module(module), name)
    try:
        return function()
    except ValueError as refusal:  # the settings' SettingsError
        raise CommandError(str(refusal)) from None


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
    engine = create_storage_engine(configured_url(must_exist=True))
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


def run_offline() -> None:
    context.configure(
        url=configured_url(must_exist=False),
        target_metadata=schema,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
