"""Storage fixtures: in-memory, a SQLite file per test, and a throwaway PostgreSQL database.

PostgreSQL is the server at 127.0.0.1:5432 (user postgres), or BOOKIJI_TEST_POSTGRES_URL. Each
test session creates its own uniquely named database there and drops it at the end, so runs
never collide; tables are truncated between tests. When the server is unreachable the
PostgreSQL tests are skipped, except under CI=true, where they fail.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn, Protocol

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bookiji_adapters.memory import InMemoryStorage
from bookiji_adapters.sqlalchemy import SqlAlchemyStorage
from bookiji_core.ports import UnitOfWork

POSTGRES_SERVER_URL = os.environ.get(
    "BOOKIJI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


class Storage(Protocol):
    def unit_of_work(self) -> UnitOfWork: ...


@pytest.fixture
def memory_storage() -> InMemoryStorage:
    return InMemoryStorage()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy (cheaper than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "bookiji.db"
    storage = SqlAlchemyStorage(f"sqlite:///{path}")
    storage.upgrade()
    storage.dispose()  # the last connection out checkpoints the WAL into the file
    return path


@pytest.fixture
def sqlite_storage(tmp_path: Path, _sqlite_template: Path) -> Iterator[SqlAlchemyStorage]:
    path = tmp_path / "bookiji.db"
    shutil.copyfile(_sqlite_template, path)
    storage = SqlAlchemyStorage(f"sqlite:///{path}")
    yield storage
    storage.dispose()


def _unreachable(reason: str) -> NoReturn:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(
            f"PostgreSQL is required under CI=true but {POSTGRES_SERVER_URL} is unreachable: "
            f"{reason}",
            pytrace=False,
        )
    pytest.skip(f"PostgreSQL unreachable at {POSTGRES_SERVER_URL}: {reason}")


@contextlib.contextmanager
def _throwaway_database() -> Iterator[str]:
    """A new, uniquely named, empty database on the server; dropped on the way out."""
    server = make_url(POSTGRES_SERVER_URL).set(drivername="postgresql+psycopg")
    admin = create_engine(server, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    name = f"bookiji_test_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        admin.dispose()
        _unreachable(str(error.orig).strip().splitlines()[0])
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a fresh database, created for this session and dropped after it."""
    with _throwaway_database() as url:
        yield url


@pytest.fixture
def empty_postgres_url(postgres_url: str) -> Iterator[str]:
    """A database of its own for one test, never migrated (for migration tests)."""
    with _throwaway_database() as url:
        yield url


@pytest.fixture(scope="session")
def _postgres_session_storage(postgres_url: str) -> Iterator[SqlAlchemyStorage]:
    storage = SqlAlchemyStorage(postgres_url)
    storage.upgrade()
    yield storage
    storage.dispose()


@pytest.fixture
def postgres_storage(_postgres_session_storage: SqlAlchemyStorage) -> SqlAlchemyStorage:
    """The session's database, emptied: every table but Alembic's, whoever's revision made it."""
    storage = _postgres_session_storage
    with storage.engine.begin() as conn:
        tables = conn.scalars(
            text(
                "SELECT quote_ident(tablename) FROM pg_tables "
                "WHERE schemaname = current_schema() AND tablename <> 'alembic_version'"
            )
        ).all()
        # The history tables refuse TRUNCATE (migration 0011); a session in the replica role
        # fires no triggers, so a test database can still be emptied.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    return storage


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def storage(request: pytest.FixtureRequest) -> Storage:
    """Each storage adapter in turn, for the contract suite."""
    found: Storage = request.getfixturevalue(f"{request.param}_storage")
    return found


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_storage(request: pytest.FixtureRequest) -> SqlAlchemyStorage:
    """Each SQL database in turn, for what only a real database can show."""
    found: SqlAlchemyStorage = request.getfixturevalue(f"{request.param}_storage")
    return found
