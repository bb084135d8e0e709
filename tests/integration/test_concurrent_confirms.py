"""Confirms racing in separate OS processes, each with its own connection: the database itself
lets exactly one booking through, on PostgreSQL and on a SQLite file.

The race is bench/race_confirm.py (16 spawned processes released together, each calling the
real confirm_booking use case); these tests run it and then count the bookings themselves.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bookiji_adapters.sqlalchemy import SqlAlchemyStorage
from bookiji_core import Interval, VendorId
from bookiji_core.errors import ConcurrentUpdate, SlotTaken
from tests.contract.test_storage_contract import NOW, make_booking

RACE = Path(__file__).resolve().parents[2] / "bench" / "race_confirm.py"
RACERS = 16

pytestmark = pytest.mark.slow


def race(storage: SqlAlchemyStorage, *options: str) -> dict[str, Any]:
    url = storage.url.render_as_string(hide_password=False)
    command = [sys.executable, str(RACE), url, "--processes", str(RACERS), "--json", *options]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.stdout, done.stderr
    summary: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return summary


def stored(storage: SqlAlchemyStorage, vendor_id: str) -> list[str]:
    with storage.unit_of_work() as uow:
        return [b.id for b in uow.bookings.list_for(vendor_id=VendorId(vendor_id))]


def test_sixteen_processes_racing_for_one_slot_make_one_booking_and_fifteen_refusals(
    sql_storage: SqlAlchemyStorage,
) -> None:
    summary = race(sql_storage)
    assert summary["outcomes"] == {"booked": 1, "SlotTaken": RACERS - 1}
    assert len(stored(sql_storage, summary["vendor_id"])) == 1
    assert summary["ok"]


def test_sixteen_processes_sending_one_idempotency_key_make_at_most_one_booking(
    sql_storage: SqlAlchemyStorage,
) -> None:
    summary = race(sql_storage, "--same-key")
    outcomes = dict(summary["outcomes"])
    assert outcomes.pop("booked") == 1
    assert set(outcomes) <= {"replayed", "IdempotencyInProgress"}
    assert sum(outcomes.values()) == RACERS - 1
    assert len(stored(sql_storage, summary["vendor_id"])) == 1
    assert summary["ok"]  # every replay answered with the one booking that exists


@pytest.mark.postgres
def test_two_transactions_booking_one_vendor_queue_instead_of_deadlocking(
    postgres_storage: SqlAlchemyStorage,
) -> None:
    """A writes 10:00 then 12:00, B writes 12:30 then 10:30. Without a queue each second
    insert would wait for the other transaction's exclusion check (a lock cycle, aborted by
    PostgreSQL). New bookings of one vendor queue on a transaction-level advisory lock, so B
    waits for A and then meets A's 12:00 as a plain SlotTaken: no deadlock, one commit."""

    def at(hour: int, minute: int = 0) -> Interval:
        return Interval.starting(NOW + timedelta(days=1, hours=hour - 8, minutes=minute), 60)

    a_wrote_once = threading.Event()
    outcome: dict[str, str] = {}

    def write(name: str, n: int, first: Interval, second: Interval) -> None:
        try:
            with postgres_storage.unit_of_work() as uow:
                if name == "B":
                    a_wrote_once.wait(timeout=10)
                uow.bookings.add(make_booking(n, at=first))
                if name == "A":
                    a_wrote_once.set()
                    threading.Event().wait(0.3)  # B is waiting meanwhile
                uow.bookings.add(make_booking(n + 1, at=second))
                uow.commit()
            outcome[name] = "committed"
        except SlotTaken:
            outcome[name] = "slot_taken"
        except ConcurrentUpdate:
            outcome[name] = "concurrent_update"

    writers = [
        threading.Thread(target=write, args=("A", 1, at(10), at(12))),
        threading.Thread(target=write, args=("B", 3, at(12, 30), at(10, 30))),
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=30)
    assert outcome == {"A": "committed", "B": "slot_taken"}
    with postgres_storage.unit_of_work() as uow:
        assert len(uow.bookings.list_for(vendor_id=VendorId("v1"))) == 2
