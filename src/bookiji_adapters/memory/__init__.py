"""In-memory storage, a manual clock, sequential ids and a counting telemetry: for tests and
SimCity."""

from bookiji_adapters.memory.fakes import ManualClock, SequentialIds
from bookiji_adapters.memory.storage import InMemoryStorage, InMemoryUnitOfWork
from bookiji_adapters.memory.telemetry import InMemoryTelemetry

__all__ = [
    "InMemoryStorage",
    "InMemoryTelemetry",
    "InMemoryUnitOfWork",
    "ManualClock",
    "SequentialIds",
]
