"""Worker heartbeats and a stopping relay's release of its leases: one contract for memory,
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import attrs

from bookiji_core import correlation
from bookiji_core.payments import OutboxState
from bookiji_core.ports import Heartbeat
from tests.conftest import Storage
from tests.contract.test_storage_contract import make_message, read, write
from tests.unit.conftest import NOW


def beat(worker: str, pid: int, at_seconds: float = 0, host: str = "h1") -> Heartbeat:
    at = NOW + timedelta(seconds=at_seconds)
    return Heartbeat(worker, host, pid, started_at=NOW, beat_at=at, concurrency=2)


def test_a_beat_replaces_the_row_of_its_worker_and_process(storage: Storage) -> None:
    write(storage, lambda uow: uow.workers.beat(beat("outbox", 7)))
    write(storage, lambda uow: uow.workers.beat(beat("outbox", 7, 5)))
    write(storage, lambda uow: uow.workers.beat(beat("auto-cancel", 7, 1)))
    write(storage, lambda uow: uow.workers.beat(beat("outbox", 8, 2, host="h0")))

    rows = read(storage, lambda uow: uow.workers.all())

    expected = [beat("auto-cancel", 7, 1), beat("outbox", 8, 2, host="h0"), beat("outbox", 7, 5)]
    assert rows == expected
    assert rows[2].process == "h1:7" and rows[2].age(NOW + timedelta(seconds=9)).seconds == 4


def test_removing_and_forgetting_take_only_their_rows(storage: Storage) -> None:
    for pid, at in ((1, 0), (2, 100), (3, 200)):
        write(storage, lambda uow, pid=pid, at=at: uow.workers.beat(beat("shredder", pid, at)))

    write(storage, lambda uow: uow.workers.remove("shredder", "h1", 3))
    write(storage, lambda uow: uow.workers.remove("outbox", "h1", 2))  # not its row
    with storage.unit_of_work() as uow:
        forgotten = uow.workers.forget_before(NOW + timedelta(seconds=50))
        uow.commit()

    assert forgotten == 1
    assert [b.pid for b in read(storage, lambda uow: uow.workers.all())] == [2]


def test_releasing_gives_back_only_the_owners_in_flight_messages_unattempted(
    storage: Storage,
) -> None:
    write(storage, lambda uow: [uow.outbox.add(make_message(n)) for n in (1, 2, 3)])
    with storage.unit_of_work() as uow:
        uow.outbox.claim_due(NOW, owner="a", lease=timedelta(seconds=30), limit=2)
        uow.commit()

    with storage.unit_of_work() as uow:
        assert uow.outbox.release(["msg_001"], owner="b") == []
        released = uow.outbox.release(["msg_003", "msg_002", "msg_001"], owner="a")
        uow.commit()

    assert released == ["msg_002", "msg_001"]
    for n in (1, 2):
        again = read(storage, lambda uow, n=n: uow.outbox.get(f"msg_{n:03d}"))
        assert again == make_message(n)  # queued, no attempt spent, no lease
    with storage.unit_of_work() as uow:
        claimed = uow.outbox.claim_due(NOW, owner="b", lease=timedelta(seconds=30), limit=5)
        uow.commit()
    assert [m.id for m in claimed] == ["msg_001", "msg_002", "msg_003"]  # at once
    assert {m.state for m in claimed} == {OutboxState.IN_FLIGHT}


def test_a_message_keeps_the_correlation_id_it_was_queued_under(storage: Storage) -> None:
    with correlation.bound("req-42"):
        carried = make_message(1)
    plain = make_message(2)
    write(storage, lambda uow: [uow.outbox.add(m) for m in (carried, plain)])

    assert read(storage, lambda uow: uow.outbox.get("msg_001")) == carried
    assert carried.correlation_id == "req-42" and plain.correlation_id is None
    assert attrs.evolve(carried, correlation_id=None) == attrs.evolve(plain, id="msg_001")
