"""SqlAlchemyStorage: one database (SQLite file or PostgreSQL) behind the storage ports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine

from bookiji_adapters.sqlalchemy.engine import create_storage_engine, normalise_url
from bookiji_adapters.sqlalchemy.uow import SqlAlchemyUnitOfWork

if TYPE_CHECKING:
    from bookiji_core.ports import UnitOfWorkFactory


class SqlAlchemyStorage:
    """`sqlite:///var/bookiji.db` or `postgresql://user@host/db`. Connects lazily: making one
    opens nothing; `upgrade()` migrates; `unit_of_work()` is the core's UnitOfWorkFactory."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine: Engine = create_storage_engine(self.url)

    def unit_of_work(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.engine)

    def upgrade(self, revision: str = "head") -> None:
        """Apply the Alembic migrations up to `revision`; safe to call on every start."""
        # Imported here: Alembic adds a tenth of a second to the start of every process, and
        # only the one that migrates needs it.
        from bookiji_adapters.sqlalchemy import migrate

        migrate.upgrade(self.engine, revision)

    def dispose(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"SqlAlchemyStorage({self.url.render_as_string(hide_password=True)!r})"


if TYPE_CHECKING:

    def _conforms(storage: SqlAlchemyStorage) -> UnitOfWorkFactory:
        # mypy proves here that the unit of work and its repositories satisfy the core ports.
        return storage.unit_of_work
