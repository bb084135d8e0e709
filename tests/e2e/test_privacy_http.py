"""Privacy over HTTP: export, delete and status, through bootstrap, on memory and SQLite.

E2E_PRIVACY_EXPORT_DELETE: a customer books, exports, deletes; both well under 60 s, and the
access log records every step.
"""

from __future__ import annotations

import random
import time
from typing import Any

from starlette.testclient import TestClient

from bookiji_adapters.memory import InMemoryTelemetry
from bookiji_adapters.simcity import SimCityPaymentGateway
from bookiji_core.usecases import OutboxRelay
from bookiji_core.usecases.privacy import ShredReport
from bookiji_entry.bootstrap import Services, inject
from bookiji_entry.bootstrap import loops as all_loops
from bookiji_entry.workers.shredder import tick

from .conftest import ADMIN, CUSTOMER, OTHER_CUSTOMER, bearer, confirm, quote, vendor

SUBJECT = "cus_01"
BASE = f"/api/privacy/subjects/{SUBJECT}"


def book(client: TestClient, services: Services) -> dict[str, Any]:
    """Quote, confirm, and let a relay place the $1 hold (as `bkctl serve`'s relay would)."""
    booking: dict[str, Any] = confirm(client, quote(client), "k-privacy").json()
    gateway = SimCityPaymentGateway(clock=services.clock, rng=random.Random(7))
    relay = OutboxRelay(
        services.uow(), gateway, services.clock, InMemoryTelemetry(), owner="e2e-relay"
    )
    relay.drain()
    return booking


def shred(services: Services) -> ShredReport:
    return inject(tick, services)


def access_log(services: Services, subject: str = SUBJECT) -> list[tuple[str, str]]:
    with services.uow() as uow:
        return [(e.purpose, e.actor_id) for e in uow.access_log.for_subject(subject)]


def test_create_user_book_export_delete_both_under_60_seconds_with_access_logs(
    client: TestClient, services: Services, conforms: Any
) -> None:
    booking = book(client, services)

    started = time.monotonic()
    exported = client.get(f"{BASE}/export", headers=bearer(CUSTOMER))
    export_seconds = time.monotonic() - started

    assert exported.status_code == 200, exported.text
    conforms("PrivacyExport", exported.json())
    assert exported.headers["cache-control"] == "no-store"
    assert [b["booking_id"] for b in exported.json()["bookings"]] == [booking["booking_id"]]

    started = time.monotonic()
    deleted = client.post(f"{BASE}/delete", headers=bearer(CUSTOMER), json={})
    report = shred(services)
    delete_seconds = time.monotonic() - started

    assert deleted.status_code == 202, deleted.text
    conforms("PrivacyStatus", deleted.json())
    assert deleted.json()["deletion"]["state"] == "pending"
    assert report.shredded == (SUBJECT,)
    assert export_seconds < 60 and delete_seconds < 60
    assert access_log(services) == [
        ("booking.confirm", SUBJECT),
        ("privacy.export", SUBJECT),
        ("privacy.delete", SUBJECT),
        ("privacy.delete", "system:shredder"),
    ]


def test_an_export_holds_the_profile_quotes_bookings_payments_and_access_log(
    client: TestClient, services: Services
) -> None:
    booking = book(client, services)
    client.get(f"/api/bookings/{booking['booking_id']}", headers=bearer(CUSTOMER))

    export = client.get(f"{BASE}/export", headers=bearer(ADMIN)).json()

    assert export["subject"] == {"id": SUBJECT, "kind": "customer"}
    assert export["exported_by"] == "adm_ops"
    assert export["profile"]["email"].endswith("@example.com")
    assert len(export["quotes"]) == 1
    [item] = export["bookings"]
    assert item["payment_method"] == "pm_card_visa"
    assert [m["action"] for m in item["payment_messages"]] == ["place_hold"]
    assert [e["kind"] for e in item["ledger"]] == ["hold"]
    assert [e["purpose"] for e in export["access_log"]] == ["booking.confirm", "booking.read"]
    assert export["logins"] == [{"role": "customer", "subject_id": SUBJECT}]


def test_nobody_else_may_export_delete_or_read_the_status(client: TestClient) -> None:
    for headers in (bearer(OTHER_CUSTOMER), vendor("ven_gastown_cuts")):
        for method, path in (("GET", "/export"), ("POST", "/delete"), ("GET", "")):
            response = client.request(method, f"{BASE}{path}", headers=headers)
            assert response.status_code == 403, (headers, path, response.text)
            assert response.json()["code"] == "forbidden"
    assert client.get(f"{BASE}/export").status_code == 401


def test_an_unknown_subject_is_a_404_for_the_privacy_officer(client: TestClient) -> None:
    response = client.get("/api/privacy/subjects/nobody/export", headers=bearer(ADMIN))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_deleted_customer_can_no_longer_sign_in_and_the_officer_sees_it_shredded(
    client: TestClient, services: Services
) -> None:
    book(client, services)
    deleted = client.post(
        f"{BASE}/delete", headers=bearer(ADMIN), json={"reason": "ticket PRIV-12"}
    )
    assert deleted.headers["location"] == BASE
    assert deleted.json()["deletion"]["reason"] == "ticket PRIV-12"

    assert client.get("/api/bookings", headers=bearer(CUSTOMER)).status_code == 401
    assert client.get(BASE, headers=bearer(ADMIN)).json()["deletion"]["state"] == "pending"
    shred(services)

    status = client.get(BASE, headers=bearer(ADMIN)).json()
    assert status["deletion"]["state"] == "shredded"
    export = client.get(f"{BASE}/export", headers=bearer(ADMIN)).json()
    assert export["profile"]["name"] == "[erased]"
    assert export["bookings"][0]["payment_method"] == "[erased]"


def test_asking_to_delete_twice_returns_the_same_tombstone(client: TestClient) -> None:
    first = client.post(f"{BASE}/delete", headers=bearer(ADMIN), json={"reason": "first"})
    again = client.post(f"{BASE}/delete", headers=bearer(ADMIN), json={"reason": "second"})

    assert again.status_code == 202
    assert again.json() == first.json()


def test_a_deleted_vendor_drops_out_of_quotes_at_once(client: TestClient) -> None:
    before = {c["provider_id"] for c in quote(client)["candidates"]}
    gone = sorted(before)[0]

    response = client.post(f"/api/privacy/subjects/{gone}/delete", headers=vendor(gone))

    assert response.status_code == 202
    assert response.json()["kind"] == "vendor"
    after = client.post(
        "/api/quote",
        headers=bearer(CUSTOMER),
        json={
            "service_type": "haircut",
            "location": {"latitude": 49.2827, "longitude": -123.1207},
            "date_time": "2030-01-08T18:30:00Z",
        },
    )
    assert gone not in {c["provider_id"] for c in after.json().get("candidates", [])}


def test_serve_runs_the_shredder_loop(services: Services) -> None:
    assert "shredder" in [loop.name for loop in all_loops(services)]
