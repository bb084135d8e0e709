"""The local profile's simulated payment provider lives in its database: a booking paid before
`bkctl serve` restarts is captured after it, and a bkctl command in a fresh process finds the
intents the server made (README: serve, book, restart, provider-confirm; the runbooks)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from bookiji_adapters.memory import ManualClock
from bookiji_adapters.simcity import SimCityPaymentGateway
from bookiji_adapters.simcity.sql_state import SqlAlchemyProviderState
from bookiji_core.payments import OutboxState
from bookiji_core.usecases import outbox_status
from bookiji_entry.app import create_app
from bookiji_entry.bootstrap import Services, bootstrap, inject, loops
from bookiji_entry.cli import main
from bookiji_entry.settings import METRICS_DIR_VARIABLE, Profile, Settings
from bookiji_entry.workers.outbox import relay_for

from .conftest import CUSTOMER, NOW, bearer, confirm, quote, vendor


@pytest.fixture
def local_url(tmp_path: Path, seeded_sqlite: Path) -> str:
    """The local profile's SQLite file, migrated and seeded with the demo pilot."""
    path = tmp_path / "bookiji.db"
    shutil.copy(seeded_sqlite, path)
    return f"sqlite:///{path}"


@pytest.fixture
def start(local_url: str) -> Iterator[Any]:
    """Starts the services of one `bkctl serve` (or bkctl) process; all are stopped after."""
    started: list[Services] = []

    def process() -> Services:
        services = bootstrap(
            Settings(profile=Profile.LOCAL, database_url=local_url), clock=ManualClock(NOW)
        )
        started.append(services)
        return services

    yield process
    for services in started:
        stop(services)


def stop(services: Services) -> None:
    services.database.dispose()
    gateway = services.gateway
    assert isinstance(gateway, SimCityPaymentGateway)
    assert isinstance(gateway.state, SqlAlchemyProviderState)
    gateway.state.dispose()


def book_and_hold(services: Services) -> dict[str, Any]:
    with TestClient(create_app(services)) as client:
        response = confirm(client, quote(client), "k-before-restart")
        assert response.status_code == 201, response.text
    assert inject(relay_for, services, owner="before").drain().committed == 1
    body: dict[str, Any] = response.json()
    return body


def test_a_booking_held_before_a_restart_is_captured_and_receipted_after_it(
    start: Any,
) -> None:
    before = start()
    booking = book_and_hold(before)
    stop(before)

    after = start()
    with TestClient(create_app(after)) as client:
        response = client.post(
            f"/api/bookings/{booking['booking_id']}/provider-confirm",
            headers=vendor(booking["provider_id"]),
        )
        assert response.status_code == 200, response.text
        report = inject(relay_for, after, owner="after").drain()
        (deliver,) = loops(after, ["simcity-webhooks"])
        delivered = deliver.tick()
        shown = client.get(
            f"/api/bookings/{booking['booking_id']}", headers=bearer(CUSTOMER)
        ).json()

    assert (report.committed, report.dead) == (1, 0)
    assert delivered == 2  # the hold's event, queued before the restart, and the capture's
    assert shown["state"] == "receipt_issued"
    status = outbox_status(after.uow())
    assert status.dlq_depth == 0 and status.counts[OutboxState.COMMITTED] == 2


def test_bkctl_ledger_reconcile_in_a_fresh_process_finds_the_servers_intents(
    start: Any,
    local_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = start()
    book_and_hold(server)
    capsys.readouterr()

    monkeypatch.setenv("BOOKIJI_PROFILE", "local")
    monkeypatch.setenv("BOOKIJI_DATABASE_URL", local_url)
    monkeypatch.delenv(METRICS_DIR_VARIABLE, raising=False)
    status = main(["ledger", "reconcile", "--json"])  # wires its own services, as bkctl does
    out, err = capsys.readouterr()

    assert status == 0, err
    report = json.loads(out)
    assert (report["bookings_checked"], report["double_charges"]) == (1, 0)
    assert report["mismatches"] == []
