"""In-memory fakes of the storage ports, for fast tests and SimCity."""

from bookiji_adapters.memory.storage import InMemoryStorage, InMemoryUnitOfWork

__all__ = ["InMemoryStorage", "InMemoryUnitOfWork"]
