"""`bkctl dlq resolve ID --reason R`: a person closes one dead message, audited, so "DLQ depth >
0" resolves; an unknown id, an empty reason or a message not in the DLQ changes nothing. And a
declined card never reaches the DLQ at all."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from bookiji_core.payments import OutboxState
from bookiji_core.principals import AdminAction
from bookiji_entry.bootstrap import Services, inject
from bookiji_entry.workers.outbox import relay_for

from .conftest import CUSTOMER, bearer, quote
from .test_bkctl_commands import run


def book(client: TestClient, card: str) -> dict[str, Any]:
    offer = quote(client)
    response = client.post(
        "/api/bookings/confirm",
        headers={**bearer(CUSTOMER), "Idempotency-Key": f"k-{card}"},
        json={
            "quote_id": offer["quote_id"],
            "provider_id": offer["candidates"][0]["provider_id"],
            "payment_method": card,
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def dead_letter(client: TestClient, services: Services) -> str:
    """A hold the provider refuses for a reason a person must look at (no such card)."""
    book(client, "card_typed_by_hand")
    inject(relay_for, services, owner="e2e").drain()
    with services.uow() as uow:
        (dead,) = uow.outbox.list_by_state(OutboxState.DLQ)
    return dead.id


def dlq_depth(capsys: pytest.CaptureFixture[str], services: Services) -> int:
    _, out, _ = run(capsys, services, "outbox", "status", "--json")
    depth: int = json.loads(out)["dlq_depth"]
    return depth


def test_resolve_closes_the_message_for_good_and_audits_who_and_why(
    client: TestClient, services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    message_id = dead_letter(client, services)
    assert dlq_depth(capsys, services) == 1

    status, out, _ = run(
        capsys,
        services,
        "dlq",
        "resolve",
        message_id,
        "--reason",
        "card re-entered by phone",
        "--as",
        "alex",
    )

    assert status == 0 and out.startswith(f"resolved {message_id}")
    assert dlq_depth(capsys, services) == 0
    with services.uow() as uow:
        message = uow.outbox.get(message_id)
        (audit,) = uow.principals.actions(message_id)
    assert message is not None and message.state is OutboxState.RESOLVED
    assert "resolved by cli:alex: card re-entered by phone" in (message.last_error or "")
    assert (audit.action, audit.actor_id, audit.reason) == (
        AdminAction.DLQ_RESOLVE,
        "cli:alex",
        "card re-entered by phone",
    )
    inject(relay_for, services, owner="e2e").drain()  # a resolved message is never sent again
    with services.uow() as uow:
        again = uow.outbox.get(message_id)
    assert again is not None and again.state is OutboxState.RESOLVED


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["dlq", "resolve", "msg_nope", "--reason", "x"], "no outbox message msg_nope"),
        (["dlq", "resolve", "{id}", "--reason", "  "], "--reason"),
        (["dlq", "resolve", "{id}"], "--reason"),
        (["dlq", "resolve", "--reason", "x"], "needs the message id"),
    ],
)
def test_resolve_refuses_an_unknown_id_or_an_empty_reason_and_changes_nothing(
    client: TestClient,
    services: Services,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    says: str,
) -> None:
    message_id = dead_letter(client, services)

    status, _, err = run(capsys, services, *[a.replace("{id}", message_id) for a in argv])

    assert status != 0 and says in err
    assert dlq_depth(capsys, services) == 1
    with services.uow() as uow:
        assert uow.principals.actions(message_id) == []


def test_a_message_already_resolved_is_refused(
    client: TestClient, services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    message_id = dead_letter(client, services)
    run(capsys, services, "dlq", "resolve", message_id, "--reason", "handled")

    status, _, err = run(capsys, services, "dlq", "resolve", message_id, "--reason", "again")

    assert status != 0 and "not in the DLQ" in err
    with services.uow() as uow:
        assert len(uow.principals.actions(message_id)) == 1


def test_a_declined_card_never_reaches_the_dlq(
    client: TestClient, services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    booking = book(client, "pm_card_chargeDeclined")
    inject(relay_for, services, owner="e2e").drain()

    status, out, _ = run(capsys, services, "dlq", "list", "--json")

    assert status == 0 and json.loads(out)["messages"] == []
    shown = client.get(f"/api/bookings/{booking['booking_id']}", headers=bearer(CUSTOMER)).json()
    assert (shown["state"], shown["payment_status"]) == ("cancelled", "failed")
