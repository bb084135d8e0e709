"""SqlAlchemyStorage: one database (SQLite file or PostgreSQL) behind the storage ports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Engine

from bookiji_adapters.sqlalchemy.crash import CrashDrill
from bookiji_adapters.sqlalchemy.engine import READ_ONLY, create_storage_engine, normalise_url
from bookiji_adapters.sqlalchemy.history import DEVELOPMENT_KEY
from bookiji_adapters.sqlalchemy.roles import Roles, check_service
from bookiji_adapters.sqlalchemy.uow import SqlAlchemyUnitOfWork
from bookiji_adapters.sqlalchemy.verify import ChainReport, verify_all

if TYPE_CHECKING:
    from bookiji_core.ports import UnitOfWorkFactory


class SqlAlchemyStorage:
    """`sqlite:///var/bookiji.db` or `postgresql://user@host/db`. Connects lazily: making one
    opens nothing; `upgrade()` migrates; `unit_of_work()` is the core's UnitOfWorkFactory."""

    def __init__(
        self, url: str, *, history_key: bytes = DEVELOPMENT_KEY, crash_at: str | None = None
    ) -> None:
        self.url = normalise_url(url)
        self.engine: Engine = create_storage_engine(self.url)
        self.history_key = history_key
        # `crash_at` (tests only): crash.py's drill, absent unless asked for.
        self._drill = CrashDrill(self.engine, crash_at) if crash_at else None

    def unit_of_work(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.engine, self.history_key, self._drill)

    def upgrade(self, revision: str = "head", *, roles: Roles | None = None) -> None:
        """Apply the Alembic migrations up to `revision`; safe to call on every start."""
        # Imported here: Alembic adds a tenth of a second to the start of every process, and
        # only the one that migrates needs it.
        from bookiji_adapters.sqlalchemy import migrate

        migrate.upgrade(self.engine, revision, history_key=self.history_key, roles=roles)

    def check_service(self, roles: Roles) -> list[str]:
        """What this storage's connection may do beyond the service role's grants (roles.py);
        empty on SQLite, where the database has no roles."""
        if self.engine.dialect.name != "postgresql":
            return []
        with self.engine.connect() as conn:
            return check_service(conn, roles)

    def verify_history(self) -> list[ChainReport]:
        """Walk every history hash chain in one read-only transaction (verify.py)."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(**{READ_ONLY: True})
            reports = verify_all(conn, self.history_key)
            conn.rollback()
        return reports

    def dispose(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"SqlAlchemyStorage({self.url.render_as_string(hide_password=True)!r})"


if TYPE_CHECKING:

    def _conforms(storage: SqlAlchemyStorage) -> UnitOfWorkFactory:
        # mypy proves here that the unit of work and its repositories satisfy the core ports.
        return storage.unit_of_work
