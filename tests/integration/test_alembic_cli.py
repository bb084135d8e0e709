"""The shipped alembic.ini: the database comes from the settings, and alembic never makes one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bookiji_adapters.sqlalchemy.migrate import MIGRATIONS
from bookiji_adapters.sqlalchemy.storage import SqlAlchemyStorage

ALEMBIC = Path(sys.executable).with_name("alembic")
INI = MIGRATIONS / "alembic.ini"


def alembic(cwd: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKIJI_")} | settings
    return subprocess.run(
        [str(ALEMBIC), "-c", str(INI), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def said(result: subprocess.CompletedProcess[str]) -> str:
    """What alembic told the user: it prints "FAILED: <reason>" on stdout."""
    return result.stdout + result.stderr


def head() -> str:
    return sorted(p.name.split("_")[0] for p in (MIGRATIONS / "versions").glob("0*.py"))[-1]


def test_without_a_database_url_alembic_stops_with_one_line_and_creates_nothing(
    tmp_path: Path,
) -> None:
    result = alembic(tmp_path, "current")

    assert result.returncode != 0
    assert said(result).splitlines() == [
        "FAILED: set BOOKIJI_DATABASE_URL to the database to migrate: alembic takes no default"
    ]
    assert list(tmp_path.iterdir()) == []


def test_a_memory_url_is_no_database_to_migrate(tmp_path: Path) -> None:
    result = alembic(tmp_path, "current", BOOKIJI_DATABASE_URL="memory://")

    assert result.returncode != 0 and "set BOOKIJI_DATABASE_URL" in said(result)


def test_a_sqlite_file_that_does_not_exist_is_refused_not_created(tmp_path: Path) -> None:
    result = alembic(tmp_path, "current", BOOKIJI_DATABASE_URL="sqlite:///var/bookiji.db")

    assert result.returncode != 0
    assert "no SQLite database at var/bookiji.db: alembic does not create one" in said(result)
    assert list(tmp_path.iterdir()) == []


def test_alembic_reads_the_database_the_settings_name(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bookiji.db'}"
    SqlAlchemyStorage(url).upgrade()

    result = alembic(tmp_path, "current", BOOKIJI_DATABASE_URL=url)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [head(), "(head)"]


def test_the_migration_url_wins_over_the_service_url(tmp_path: Path) -> None:
    migrated = f"sqlite:///{tmp_path / 'owner.db'}"
    SqlAlchemyStorage(migrated).upgrade()

    result = alembic(
        tmp_path,
        "current",
        BOOKIJI_DATABASE_URL=f"sqlite:///{tmp_path / 'absent.db'}",
        BOOKIJI_MIGRATION_DATABASE_URL=migrated,
    )

    assert result.returncode == 0, result.stderr
    assert head() in result.stdout


@pytest.mark.postgres
def test_alembic_upgrades_and_reads_a_postgresql_database(empty_postgres_url: str) -> None:
    upgraded = alembic(Path.cwd(), "upgrade", "head", BOOKIJI_DATABASE_URL=empty_postgres_url)
    assert upgraded.returncode == 0, upgraded.stderr

    current = alembic(Path.cwd(), "current", BOOKIJI_DATABASE_URL=empty_postgres_url)
    assert current.stdout.split() == [head(), "(head)"]
