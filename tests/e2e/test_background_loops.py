"""The background loops that `bkctl serve` runs: auto-cancel, and the thread machinery."""

from __future__ import annotations

import threading
from datetime import timedelta

from starlette.testclient import TestClient

from bookiji_adapters.memory import ManualClock
from bookiji_entry.bootstrap import Services, inject
from bookiji_entry.bootstrap import loops as all_loops
from bookiji_entry.workers import Background, Loop
from bookiji_entry.workers.auto_cancel import tick

from .conftest import CUSTOMER, bearer, confirm, quote


def test_auto_cancel_releases_a_booking_the_vendor_did_not_confirm_in_time(
    client: TestClient, services: Services, clock: ManualClock
) -> None:
    booking = confirm(client, quote(client), "k").json()
    assert inject(tick, services) == 0

    clock.advance(timedelta(minutes=15))
    cancelled = inject(tick, services)

    assert cancelled == 1
    shown = client.get(f"/api/bookings/{booking['booking_id']}", headers=bearer(CUSTOMER)).json()
    assert shown["state"] == "cancelled"
    assert shown["payment_status"] == "release_pending"
    assert (shown["audit"][-1]["action"], shown["audit"][-1]["actor_type"]) == (
        "auto_cancel",
        "system",
    )
    assert inject(tick, services) == 0


def test_serve_runs_the_auto_cancel_loop(services: Services) -> None:
    assert "auto-cancel" in [loop.name for loop in all_loops(services)]


def test_a_failing_tick_does_not_stop_its_loop_and_close_stops_every_thread() -> None:
    calls: list[int] = []
    twice = threading.Event()

    def flaky() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("database restarting")
        twice.set()

    background = Background([Loop("flaky", 0.01, flaky)])
    background.start()
    assert twice.wait(5)
    background.close()

    assert not any(thread.is_alive() for thread in background.threads)
    assert len(calls) >= 2
