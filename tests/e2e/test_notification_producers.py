"""Every booking change queues its notifications in its own transaction, through the wired app:
confirm (the vendor, with the deadline), vendor confirm (the customer), cancel (the other
party), auto-cancel (both), a declined card (payment failed), a rollback and its refund; and a
change that rolls back queues nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from bookiji_adapters.memory import ManualClock, SequentialIds
from bookiji_adapters.memory.records import InMemoryAccessLog
from bookiji_core import BookingId
from bookiji_core.access import AccessLogEntry
from bookiji_core.notifications import NotificationKind
from bookiji_core.usecases import auto_cancel_due
from bookiji_entry.app import create_app
from bookiji_entry.bootstrap import Services, bootstrap, inject
from bookiji_entry.cli import main
from bookiji_entry.seed import seed_demo
from bookiji_entry.settings import MEMORY_URL, Profile, Settings
from bookiji_entry.workers.outbox import relay_for

from .conftest import ADMIN, CUSTOMER, NOW, bearer, quote, vendor

Told = set[tuple[NotificationKind, str]]


@pytest.fixture
def services(clock: ManualClock) -> Iterator[Services]:
    wired = bootstrap(
        Settings(profile=Profile.TEST, database_url=MEMORY_URL), clock=clock, ids=SequentialIds()
    )
    seed_demo(wired.uow(), NOW, fixed_tokens=True)
    yield wired
    wired.database.dispose()


def book(client: TestClient, card: str = "pm_card_visa", key: str = "k-1") -> dict[str, Any]:
    offer = quote(client)
    response = client.post(
        "/api/bookings/confirm",
        headers={**bearer(CUSTOMER), "Idempotency-Key": key},
        json={
            "quote_id": offer["quote_id"],
            "provider_id": offer["candidates"][0]["provider_id"],
            "payment_method": card,
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def told(services: Services, booking_id: str) -> Told:
    with services.uow() as uow:
        found = uow.notifications.for_booking(BookingId(booking_id))
    return {(n.kind, n.recipient.principal_id) for n in found}


def relay(services: Services) -> None:
    inject(relay_for, services, owner="test").drain()


def test_a_confirmed_quote_tells_the_vendor_with_its_deadline_in_the_same_commit(
    client: TestClient, services: Services
) -> None:
    booking = book(client)

    assert told(services, booking["booking_id"]) == {
        (NotificationKind.AWAITING_VENDOR, booking["provider_id"])
    }
    with services.uow() as uow:
        (sent,) = uow.notifications.for_booking(BookingId(booking["booking_id"]))
    deadline = (NOW + timedelta(minutes=15)).isoformat().replace("+00:00", "Z")
    assert sent.content.payload["data"]["confirm_by"] == deadline
    assert deadline in sent.content.subject


def test_the_vendors_confirm_tells_the_customer(client: TestClient, services: Services) -> None:
    booking = book(client)
    relay(services)

    response = client.post(
        f"/api/bookings/{booking['booking_id']}/provider-confirm",
        headers=vendor(booking["provider_id"]),
    )

    assert response.status_code == 200, response.text
    assert (NotificationKind.CONFIRMED, "cus_01") in told(services, booking["booking_id"])
    assert (NotificationKind.CONFIRMED, booking["provider_id"]) not in told(
        services, booking["booking_id"]
    )


def test_the_customers_cancel_tells_the_vendor_only(client: TestClient, services: Services) -> None:
    booking = book(client)

    response = client.post(
        f"/api/bookings/{booking['booking_id']}/cancel",
        headers=bearer(CUSTOMER),
        json={"reason": "plans changed"},
    )

    assert response.status_code == 200, response.text
    cancelled = {
        p for kind, p in told(services, booking["booking_id"]) if kind == "booking.cancelled"
    }
    assert cancelled == {booking["provider_id"]}


def test_an_admins_cancel_tells_both(client: TestClient, services: Services) -> None:
    booking = book(client)

    response = client.post(
        f"/api/bookings/{booking['booking_id']}/cancel", headers=bearer(ADMIN), json={}
    )

    assert response.status_code == 200, response.text
    cancelled = {
        p for kind, p in told(services, booking["booking_id"]) if kind == "booking.cancelled"
    }
    assert cancelled == {booking["provider_id"], "cus_01"}


def test_an_auto_cancel_tells_both(
    client: TestClient, services: Services, clock: ManualClock
) -> None:
    booking = book(client)
    clock.advance(timedelta(minutes=16))

    assert auto_cancel_due(services.uow(), clock, services.ids) == [booking["booking_id"]]

    assert {
        (NotificationKind.AUTO_CANCELLED, booking["provider_id"]),
        (NotificationKind.AUTO_CANCELLED, "cus_01"),
    } <= told(services, booking["booking_id"])


def test_a_declined_card_tells_the_customer_where_the_relay_records_the_refusal(
    client: TestClient, services: Services
) -> None:
    booking = book(client, card="pm_card_chargeDeclined")
    assert (NotificationKind.PAYMENT_FAILED, "cus_01") not in told(services, booking["booking_id"])

    relay(services)

    assert {
        (NotificationKind.PAYMENT_FAILED, "cus_01"),
        (NotificationKind.PAYMENT_FAILED, booking["provider_id"]),
    } <= told(services, booking["booking_id"])
    with services.uow() as uow:
        (failed,) = [
            n
            for n in uow.notifications.for_principal("cus_01")
            if n.kind is NotificationKind.PAYMENT_FAILED
        ]
    assert "declined" in failed.content.subject


def test_a_rollback_tells_both_and_the_refund_tells_the_customer_once_the_provider_made_it(
    client: TestClient, services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    booking = book(client)
    relay(services)
    client.post(
        f"/api/bookings/{booking['booking_id']}/provider-confirm",
        headers=vendor(booking["provider_id"]),
    )
    relay(services)  # the fee is captured
    args = ["rollback", "--booking", booking["booking_id"], "--wait", "0", "--as", "ops"]

    assert main([*args, "--reason", "double booking"], services=services) == 0
    capsys.readouterr()

    after_rollback = told(services, booking["booking_id"])
    assert {
        (NotificationKind.CANCELLED, booking["provider_id"]),
        (NotificationKind.CANCELLED, "cus_01"),
    } <= after_rollback
    assert (NotificationKind.REFUNDED, "cus_01") not in after_rollback
    relay(services)  # the refund goes through
    assert (NotificationKind.REFUNDED, "cus_01") in told(services, booking["booking_id"])


def test_a_change_that_rolls_back_queues_no_notification(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = InMemoryAccessLog.append

    def failing(self: InMemoryAccessLog, entry: AccessLogEntry) -> None:
        if entry.purpose == "booking.confirm":  # written after the notifications were queued
            raise RuntimeError("access log down")
        original(self, entry)

    monkeypatch.setattr(InMemoryAccessLog, "append", failing)
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        offer = quote(client)
        response = client.post(
            "/api/bookings/confirm",
            headers={**bearer(CUSTOMER), "Idempotency-Key": "k-down"},
            json={
                "quote_id": offer["quote_id"],
                "provider_id": offer["candidates"][0]["provider_id"],
                "payment_method": "pm_card_visa",
            },
        )

    assert response.status_code >= 500
    with services.uow() as uow:
        assert sum(uow.notifications.counts().values()) == 0
        assert uow.bookings.list_for(limit=10) == []
