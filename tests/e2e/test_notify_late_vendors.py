"""`bkctl notify late-vendors` (Incident-002, "notify vendor"): one real reminder per waiting
booking to its vendor, delivered by the notification worker; a rerun adds nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from bookiji_adapters.memory import ManualClock
from bookiji_core.notifications import NotificationKind, Role
from bookiji_entry.bootstrap import Services
from bookiji_entry.cli import main
from tests.e2e.conftest import confirm, quote


def late(capsys: pytest.CaptureFixture[str], services: Services, *argv: str) -> dict[str, object]:
    status = main(["notify", "late-vendors", *argv, "--json"], services=services)
    out, err = capsys.readouterr()
    assert status == 0, err
    found: dict[str, object] = json.loads(out)
    return found


def test_the_vendor_of_a_waiting_booking_is_reminded_once(
    capsys: pytest.CaptureFixture[str],
    services: Services,
    client: TestClient,
    clock: ManualClock,
) -> None:
    booking = confirm(client, quote(client), "k-late").json()
    assert late(capsys, services, "--within", "5") == {"reminded": []}  # 15 minutes left

    clock.advance(timedelta(minutes=11))  # 4 minutes left
    first = late(capsys, services, "--within", "5")
    again = late(capsys, services, "--within", "5")

    [reminded] = first["reminded"]  # type: ignore[misc]
    assert reminded["booking_id"] == booking["booking_id"] and reminded["queued"] >= 1
    assert again["reminded"][0]["queued"] == 0  # type: ignore[index]
    with services.uow() as uow:
        sent = [
            n
            for n in uow.notifications.for_booking(booking["booking_id"])
            if n.kind is NotificationKind.CONFIRM_REMINDER
        ]
    assert sent and {n.recipient.role for n in sent} == {Role.VENDOR}
    assert {n.recipient.principal_id for n in sent} == {reminded["vendor_id"]}
    assert "confirm by" in sent[0].content.subject


def test_a_booking_past_its_deadline_is_left_to_auto_cancel(
    capsys: pytest.CaptureFixture[str],
    services: Services,
    client: TestClient,
    clock: ManualClock,
) -> None:
    confirm(client, quote(client), "k-past")
    clock.advance(timedelta(minutes=16))
    assert late(capsys, services) == {"reminded": []}


def test_bad_input_is_refused(capsys: pytest.CaptureFixture[str], services: Services) -> None:
    assert main(["notify", "late-vendors", "--within", "0"], services=services) == 2
    assert "--within" in capsys.readouterr().err
