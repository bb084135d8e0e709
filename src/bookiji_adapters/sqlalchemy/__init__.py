"""SQLAlchemy Core storage for SQLite and PostgreSQL, with its Alembic migrations."""

from bookiji_adapters.sqlalchemy.storage import SqlAlchemyStorage
from bookiji_adapters.sqlalchemy.uow import SqlAlchemyUnitOfWork

__all__ = ["SqlAlchemyStorage", "SqlAlchemyUnitOfWork"]
