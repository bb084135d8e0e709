"""The Alembic revisions: they build what the repositories query, undo cleanly, run once when
several processes start together, and ship inside the package."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

import bookiji_adapters
from bookiji_adapters.simcity.sql_tables import metadata as simcity_metadata
from bookiji_adapters.sqlalchemy import SqlAlchemyStorage
from bookiji_adapters.sqlalchemy.migrate import MIGRATIONS, alembic_config
from bookiji_adapters.sqlalchemy.tables import metadata
from bookiji_core.errors import SlotTaken
from tests.contract.test_storage_contract import make_booking

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database nobody has migrated yet."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh' / 'bookiji.db'}"
    url: str = request.getfixturevalue("empty_postgres_url")
    return url


def head_revision(storage: SqlAlchemyStorage) -> str | None:
    with storage.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_the_migrated_schema_is_the_schema_the_repositories_query(
    sql_storage: SqlAlchemyStorage,
) -> None:
    with sql_storage.engine.connect() as conn:
        # Both owners' tables: the SQL storage's and SimCity's provider's.
        schema = [metadata, simcity_metadata]
        differences = compare_metadata(MigrationContext.configure(conn), schema)  # type: ignore[arg-type]
    assert differences == []


def test_every_revision_undoes_cleanly_and_applies_again(empty_url: str) -> None:
    storage = SqlAlchemyStorage(empty_url)
    storage.upgrade()
    config = alembic_config()
    with storage.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert inspect(storage.engine).get_table_names() == ["alembic_version"]
    storage.upgrade()
    with storage.unit_of_work() as uow:  # the database-side guards came back too
        uow.bookings.add(make_booking(1))
        with pytest.raises(SlotTaken):
            uow.bookings.add(make_booking(2))
    storage.dispose()


def test_processes_starting_together_migrate_the_database_once(empty_url: str) -> None:
    upgrade = (
        "import sys; from bookiji_adapters.sqlalchemy import SqlAlchemyStorage; "
        "SqlAlchemyStorage(sys.argv[1]).upgrade()"
    )
    starts = [
        subprocess.Popen([sys.executable, "-c", upgrade, empty_url], stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    failures = [p.stderr.read().decode() for p in starts if p.wait(timeout=120) != 0 and p.stderr]
    assert failures == []
    storage = SqlAlchemyStorage(empty_url)
    with storage.engine.connect() as conn:
        versions = conn.scalars(text("SELECT version_num FROM alembic_version")).all()
    assert len(versions) == 1 and versions == [head_revision(storage)]
    storage.dispose()


def test_the_package_data_globs_ship_every_migration_file() -> None:
    """A non-editable install carries only what pyproject's package-data names."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    globs = pyproject["tool"]["setuptools"]["package-data"]["bookiji_adapters"]
    package = Path(bookiji_adapters.__file__).parent
    needed = [
        p.relative_to(package).as_posix()
        for p in MIGRATIONS.rglob("*")
        if p.is_file() and p.suffix in (".py", ".ini") and "__pycache__" not in p.parts
    ]
    assert needed, "no migration files found"
    assert [f for f in needed if not any(fnmatch(f, g) for g in globs)] == []
