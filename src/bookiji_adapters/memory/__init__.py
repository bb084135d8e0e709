"""In-memory storage, a manual clock and sequential ids: for tests and SimCity."""

from bookiji_adapters.memory.fakes import ManualClock, SequentialIds
from bookiji_adapters.memory.storage import InMemoryStorage, InMemoryUnitOfWork

__all__ = ["InMemoryStorage", "InMemoryUnitOfWork", "ManualClock", "SequentialIds"]
