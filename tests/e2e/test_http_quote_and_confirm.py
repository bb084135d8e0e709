"""The quote -> confirm flow over HTTP, on memory and SQLite, through bootstrap and the app."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from bookiji_adapters.memory import ManualClock
from bookiji_core.idempotency import IdempotencyRecord, fingerprint
from bookiji_entry.bootstrap import Services

from .conftest import (
    CUSTOMER,
    NOW,
    OTHER_CUSTOMER,
    TOMORROW_10AM,
    bearer,
    confirm,
    haircut,
    quote,
)


def test_a_quote_ranks_nearby_rated_providers_and_prices_the_median_of_the_top_three(
    client: TestClient, conforms: Any
) -> None:
    response = client.post("/api/quote", headers=bearer(CUSTOMER), json=haircut())

    assert response.status_code == 201
    body = response.json()
    conforms("Quote", body)
    providers = [c["provider_id"] for c in body["candidates"]]
    # West End Shears is open and closest to cheap, but rated 3.8: the 4.0 filter drops it.
    assert sorted(providers) == ["ven_gastown_cuts", "ven_kits_barber", "ven_main_st_salon"]
    assert body["price"] == {"amount": 4500, "currency": "CAD"}
    assert body["commitment_fee"] == {"amount": 100, "currency": "CAD"}
    assert body["currency"] == "CAD"
    assert body["expires_at"] == "2030-01-07T08:15:00Z"
    assert body["reused"] is False
    # The test profile has no map service: zones are the catalogue's labels, never addresses.
    assert all(c["zone"].startswith("Vancouver – ") for c in body["candidates"])


def test_the_same_intent_reuses_the_live_quote_with_200(client: TestClient) -> None:
    first = quote(client)

    again = client.post("/api/quote", headers=bearer(CUSTOMER), json=haircut())

    assert again.status_code == 200
    assert again.json()["quote_id"] == first["quote_id"]
    assert again.json()["reused"] is True


def test_confirm_creates_a_booking_holding_the_slot_and_a_retry_replays_it(
    client: TestClient, conforms: Any
) -> None:
    q = quote(client)

    created = confirm(client, q, "key-1")
    replayed = confirm(client, q, "key-1")

    assert created.status_code == 201
    conforms("Booking", created.json())
    booking = created.json()
    assert booking["state"] == "hold_placed"
    assert booking["payment_status"] == "hold_pending"
    assert booking["start"] == TOMORROW_10AM
    assert booking["hold_expires_at"] == "2030-01-07T08:15:00Z"
    assert created.headers["location"] == f"/api/bookings/{booking['booking_id']}"
    assert "idempotent-replayed" not in created.headers
    assert replayed.status_code == 200
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == booking
    listed = client.get("/api/bookings", headers=bearer(CUSTOMER)).json()["bookings"]
    assert [b["booking_id"] for b in listed] == [booking["booking_id"]]


def test_the_same_key_with_another_body_is_refused_with_422(client: TestClient) -> None:
    q = quote(client)
    assert confirm(client, q, "key-1").status_code == 201

    other_provider = q["candidates"][1]["provider_id"]
    response = confirm(client, q, "key-1", provider=other_provider)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "idempotency_key_reused"


def test_a_retry_while_the_first_request_runs_is_refused_with_409(
    client: TestClient, services: Services
) -> None:
    q = quote(client)
    provider = q["candidates"][0]["provider_id"]
    body = {"quote_id": q["quote_id"], "provider_id": provider, "payment_method": "pm_card_visa"}
    with services.uow() as uow:  # the first request has claimed the key and is still working
        uow.idempotency.insert(IdempotencyRecord.start("cus_01", "key-1", fingerprint(body), NOW))
        uow.commit()

    response = confirm(client, q, "key-1")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_progress"


def test_a_booked_slot_cannot_be_booked_again_by_another_customer(client: TestClient) -> None:
    mine = quote(client)
    theirs = quote(client, token=OTHER_CUSTOMER)
    provider = mine["candidates"][0]["provider_id"]
    assert confirm(client, mine, "k", provider=provider).status_code == 201

    response = confirm(client, theirs, "k", token=OTHER_CUSTOMER, provider=provider)

    assert response.status_code == 409
    assert response.json()["code"] == "slot_taken"
    # The refusal is stored with the key: a retry replays it instead of trying again.
    assert confirm(client, theirs, "k", token=OTHER_CUSTOMER, provider=provider).status_code == 409


def test_a_taken_provider_drops_out_of_the_next_quote(client: TestClient) -> None:
    q = quote(client)
    taken = q["candidates"][0]["provider_id"]
    assert confirm(client, q, "k", provider=taken).status_code == 201

    later = quote(client, token=OTHER_CUSTOMER)

    assert taken not in [c["provider_id"] for c in later["candidates"]]


def test_an_expired_quote_is_gone(client: TestClient, clock: ManualClock) -> None:
    q = quote(client)
    clock.advance(timedelta(minutes=16))

    response = confirm(client, q, "late")

    assert response.status_code == 410
    assert response.json()["code"] == "quote_expired"


def test_an_unknown_quote_is_not_found(client: TestClient) -> None:
    fake = {"quote_id": "q_missing", "candidates": [{"provider_id": "ven_kits_barber"}]}

    response = confirm(client, fake, "k")

    assert response.status_code == 404
    assert response.json()["code"] == "quote_not_found"


def test_another_customers_quote_reads_as_not_found(client: TestClient) -> None:
    q = quote(client)

    response = confirm(client, q, "k", token=OTHER_CUSTOMER)

    assert response.status_code == 404
    assert response.json()["code"] == "quote_not_found"


def test_a_provider_outside_the_quote_is_refused(client: TestClient) -> None:
    q = quote(client)

    response = confirm(client, q, "k", provider="ven_west_end_shears")

    assert response.status_code == 422
    assert response.json()["code"] == "provider_not_candidate"


def test_a_quote_for_a_past_time_is_refused(client: TestClient) -> None:
    response = client.post(
        "/api/quote", headers=bearer(CUSTOMER), json=haircut(date_time="2030-01-07T07:00:00Z")
    )

    assert response.status_code == 422
    assert response.json()["code"] == "time_in_past"


def test_confirming_a_live_quote_whose_time_has_passed_is_refused(
    client: TestClient, clock: ManualClock
) -> None:
    # Monday 10:00 Vancouver, quoted at 09:50; confirmed at 10:01, before the quote expires.
    clock.set(NOW + timedelta(hours=9, minutes=50))
    q = quote(client, date_time="2030-01-07T18:00:00Z")
    clock.advance(timedelta(minutes=11))

    response = confirm(client, q, "k")

    assert response.status_code == 422
    assert response.json()["code"] == "time_in_past"


def test_no_open_provider_is_a_422_with_its_own_code(client: TestClient) -> None:
    # 03:00 on a Tuesday in Vancouver: no cleaner is open.
    response = client.post(
        "/api/quote",
        headers=bearer(CUSTOMER),
        json=haircut(service_type="house_cleaning", date_time="2030-01-08T11:00:00Z"),
    )

    assert response.status_code == 422
    assert response.json()["code"] == "no_providers_available"


@pytest.mark.parametrize(
    ("date_time", "field"),
    [("2100-01-01T10:00:00Z", "date_time"), ("9999-12-31T23:30:00Z", "duration_minutes")],
)
def test_a_quote_beyond_the_booking_horizon_is_invalid(
    client: TestClient, date_time: str, field: str
) -> None:
    response = client.post(
        "/api/quote", headers=bearer(CUSTOMER), json=haircut(date_time=date_time)
    )

    assert response.status_code == 422
    assert response.json()["field"] == field


def test_get_booking_shows_the_audit_trail(client: TestClient, conforms: Any) -> None:
    booking = confirm(client, quote(client), "k").json()

    response = client.get(f"/api/bookings/{booking['booking_id']}", headers=bearer(CUSTOMER))

    assert response.status_code == 200
    conforms("BookingWithAudit", response.json())
    [entry] = response.json()["audit"]
    assert (entry["from_state"], entry["to_state"], entry["action"]) == (
        "quoted",
        "hold_placed",
        "confirm",
    )
    assert (entry["actor_type"], entry["actor_id"]) == ("customer", "cus_01")
