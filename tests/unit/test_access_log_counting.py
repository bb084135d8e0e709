"""Every access-log write is counted, and so is every one that failed, at append or commit."""

from __future__ import annotations

from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import pytest

from bookiji_adapters.memory import InMemoryStorage, InMemoryTelemetry
from bookiji_adapters.telemetry import count_access_log_writes
from bookiji_core.access import AccessLogEntry
from bookiji_core.values import CustomerId

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
ENTRY = AccessLogEntry("cus_01", "adm_ops", "support", "booking:bk_1", NOW)


def writes(telemetry: InMemoryTelemetry) -> tuple[int, int]:
    return telemetry.counts[("access_log", "ok")], telemetry.counts[("access_log", "error")]


class _RefusingLog:
    def append(self, entry: AccessLogEntry) -> None:
        raise PermissionError("access_log is append-only and the disk is full")


class _FlakyUnitOfWork:
    """A unit of work whose access log or commit fails, as a database can."""

    def __init__(self, *, append_fails: bool = False, commit_fails: bool = False) -> None:
        self._inner = InMemoryStorage().unit_of_work()
        self.access_log: Any = _RefusingLog() if append_fails else self._inner.access_log
        self._commit_fails = commit_fails

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __enter__(self) -> _FlakyUnitOfWork:
        self._inner.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._inner.__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        if self._commit_fails:
            raise ConnectionError("server closed the connection during COMMIT")
        self._inner.commit()


def test_committed_writes_are_counted_as_successful() -> None:
    storage, telemetry = InMemoryStorage(), InMemoryTelemetry()
    uow = count_access_log_writes(storage.unit_of_work, telemetry)()
    with uow:
        uow.access_log.append(ENTRY)
        uow.access_log.append(ENTRY)
        uow.commit()

    assert writes(telemetry) == (2, 0)
    with storage.unit_of_work() as check:
        assert len(check.access_log.for_subject("cus_01")) == 2


def test_an_append_that_raises_is_a_failed_write() -> None:
    telemetry = InMemoryTelemetry()
    uow = count_access_log_writes(lambda: _FlakyUnitOfWork(append_fails=True), telemetry)()

    with pytest.raises(PermissionError), uow:
        uow.access_log.append(ENTRY)

    assert writes(telemetry) == (0, 1)


def test_a_commit_that_raises_fails_every_write_it_carried() -> None:
    telemetry = InMemoryTelemetry()
    uow = count_access_log_writes(lambda: _FlakyUnitOfWork(commit_fails=True), telemetry)()

    with pytest.raises(ConnectionError), uow:
        uow.access_log.append(ENTRY)
        uow.access_log.append(ENTRY)
        uow.commit()

    assert writes(telemetry) == (0, 2)


def test_a_write_the_use_case_rolled_back_is_withdrawn_not_failed() -> None:
    telemetry = InMemoryTelemetry()
    uow = count_access_log_writes(InMemoryStorage().unit_of_work, telemetry)()
    with uow:
        uow.access_log.append(ENTRY)  # then the use case refuses and leaves without commit
    with uow:
        uow.commit()  # a later transaction on the same unit of work carries nothing

    assert writes(telemetry) == (0, 0)


def test_every_other_repository_is_the_wrapped_one() -> None:
    storage, telemetry = InMemoryStorage(), InMemoryTelemetry()
    uow = count_access_log_writes(storage.unit_of_work, telemetry)()
    with uow:
        assert uow.customers.get(CustomerId("cus_nobody")) is None
        assert uow.access_log.for_subject("cus_01") == []
        uow.rollback()

    assert writes(telemetry) == (0, 0)
