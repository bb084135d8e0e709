"""`bkctl notify dead` and `bkctl notify redrive --reason R`: the on-call engineer sees the
notifications nobody received (without their addresses) and sends them again once the cause
is fixed, each redrive in the admin audit; bad input changes nothing."""

from __future__ import annotations

import json

import attrs
import pytest
from starlette.testclient import TestClient

from bookiji_core.notifications import NotificationState
from bookiji_core.principals import AdminAction
from bookiji_core.values import BookingId
from bookiji_entry.bootstrap import Services

from .test_bkctl_commands import run
from .test_bkctl_dlq_resolve import book


def dead_notifications_of_a_booking(client: TestClient, services: Services) -> list[str]:
    booking = BookingId(book(client, "pm_card_visa")["booking_id"])
    with services.uow() as uow:
        queued = uow.notifications.for_booking(booking)
        for n in queued:
            dead = attrs.evolve(
                n, state=NotificationState.DLQ, attempts=8, last_error="550 mailbox unavailable"
            )
            uow.notifications.update(dead)
        uow.commit()
    assert queued, "a confirm queues the vendor's notice"
    return sorted(n.id for n in queued)


def states(services: Services, ids: list[str]) -> list[NotificationState]:
    with services.uow() as uow:
        found = [uow.notifications.get(i) for i in ids]
    return [n.state for n in found if n is not None]


def test_dead_lists_them_without_addresses_and_redrive_queues_them_with_an_audit(
    client: TestClient, services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = dead_notifications_of_a_booking(client, services)

    status, out, _ = run(capsys, services, "notify", "dead", "--json", "--as", "oncall")
    assert status == 0
    shown = json.loads(out)["dead"]
    assert sorted(n["id"] for n in shown) == ids
    assert all(n["last_error"] == "550 mailbox unavailable" and n["attempts"] == 8 for n in shown)
    assert "@" not in out  # a principal id, never the email address

    status, out, _ = run(
        capsys, services, "notify", "redrive", "--reason", "mail relay fixed", "--as", "oncall"
    )
    assert status == 0 and out.startswith(f"{len(ids)} notification(s) queued again")
    assert states(services, ids) == [NotificationState.QUEUED] * len(ids)
    with services.uow() as uow:
        audit = [a for i in ids for a in uow.principals.actions(i)]
    assert [(a.action, a.actor_id, a.reason) for a in audit] == [
        (AdminAction.NOTIFY_REDRIVE, "cli:oncall", "mail relay fixed")
    ] * len(ids)
    _, out, _ = run(capsys, services, "notify", "dead", "--as", "oncall")
    assert out.startswith("0 notification(s) in the DLQ")


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["notify", "redrive", "--reason", "  "], "--reason"),
        (["notify", "redrive", "--reason", "x", "--limit", "0"], "limit"),
        (["notify", "dead", "--limit", "100000"], "limit"),
    ],
)
def test_bad_input_is_refused_with_exit_2_and_changes_nothing(
    client: TestClient,
    services: Services,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    says: str,
) -> None:
    ids = dead_notifications_of_a_booking(client, services)

    status, _, err = run(capsys, services, *argv, "--as", "oncall")

    assert status == 2 and says in err
    assert states(services, ids) == [NotificationState.DLQ] * len(ids)
