"""`bkctl worker NAME|all|status`: only the named worker is built, every registration is a
worker, and status reads the heartbeats (exit 1 when a worker has no live process)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from bookiji_adapters.memory import ManualClock
from bookiji_entry import workers
from bookiji_entry.bootstrap import Services, loops
from bookiji_entry.cli import main
from bookiji_entry.heartbeats import HeartbeatWriter
from bookiji_entry.workers import Background, Copy, Loop, Tick, Worker


def run(capsys: pytest.CaptureFixture[str], services: Services, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv), services=services)
    out, err = capsys.readouterr()
    return status, out, err


def test_only_the_named_worker_is_built(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[str] = []
    known = workers.registered()

    def spy(worker: Worker) -> Worker:
        def build(copy: Copy) -> Tick:
            built.append(copy.owner)
            return lambda: None

        return Worker(worker.name, worker.interval, build)

    monkeypatch.setattr(workers, "registered", lambda: {n: spy(w) for n, w in known.items()})

    assert [x.name for x in loops(services, ["shredder"], concurrency=3)] == ["shredder"] * 3
    assert len(built) == 3 and len(set(built)) == 3  # each copy leases under its own name


def test_the_worker_names_index_is_every_registered_worker() -> None:
    assert list(workers.NAMES) == sorted(workers.registered())


def test_worker_all_once_runs_one_pass_of_every_worker(
    capsys: pytest.CaptureFixture[str], services: Services
) -> None:
    status, out, _ = run(capsys, services, "worker", "all", "--once")

    assert status == 0
    ran = {line.split(":", 1)[0] for line in out.splitlines()}
    assert ran == set(workers.registered())


def test_an_unknown_worker_or_a_bad_concurrency_is_refused(
    capsys: pytest.CaptureFixture[str], services: Services
) -> None:
    assert run(capsys, services, "worker", "outbx")[0] == 2
    status, _, err = run(capsys, services, "worker", "outbox", "--concurrency", "0")
    assert status == 2 and "--concurrency must be at least 1" in err


def test_status_lists_the_heartbeats_and_exits_1_only_when_a_worker_has_no_live_process(
    capsys: pytest.CaptureFixture[str], services: Services, clock: ManualClock
) -> None:
    assert run(capsys, services, "worker", "status")[0] == 1  # nothing runs at all
    uow = services.database.unit_of_work
    dead = HeartbeatWriter(uow, clock, {"outbox": 2, "shredder": 1}, host="h", pid=1)
    dead.start()
    clock.advance(timedelta(seconds=90))
    alive = HeartbeatWriter(uow, clock, {"outbox": 1}, host="h", pid=2)
    alive.start()

    status, out, err = run(capsys, services, "worker", "status", "--json")

    shown = json.loads(out)
    assert status == 1 and "no live process for: shredder" in err
    assert shown["stale_workers"] == ["shredder"]
    assert [(r["worker"], r["pid"], r["stale"]) for r in shown["workers"]] == [
        ("outbox", 1, True),
        ("outbox", 2, False),
        ("shredder", 1, True),
    ]
    assert shown["workers"][0]["age_seconds"] == 90.0
    alive_shredder = HeartbeatWriter(uow, clock, {"shredder": 1}, host="h", pid=3)
    alive_shredder.start()
    status, out, _ = run(capsys, services, "worker", "status")
    assert status == 0 and "STALE" in out  # the dead processes are shown, but replaced


def test_a_running_loop_beats_and_a_clean_stop_removes_its_rows(
    services: Services, clock: ManualClock
) -> None:
    uow = services.database.unit_of_work
    ticked = threading.Event()
    beats = HeartbeatWriter(uow, clock, {"probe": 1}, host="h", pid=9)
    background = Background([Loop("probe", 0.01, ticked.set)], heartbeats=beats)
    background.start()
    assert ticked.wait(5)
    with uow() as unit:
        assert [(b.worker, b.pid) for b in unit.workers.all()] == [("probe", 9)]
    background.close()
    with uow() as unit:
        assert unit.workers.all() == []


def test_metrics_export_the_heartbeat_of_every_worker_process(
    client: TestClient, services: Services, clock: ManualClock
) -> None:
    HeartbeatWriter(services.database.unit_of_work, clock, {"outbox": 2}, host="w1", pid=5).start()

    text = client.get("/metrics").text

    beats = [
        (s.labels, s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "bookiji_worker_heartbeat_timestamp_seconds"
    ]
    assert beats == [({"worker": "outbox", "process": "w1:5"}, clock.now().timestamp())]
