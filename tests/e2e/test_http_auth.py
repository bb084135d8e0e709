"""Who may do what over HTTP: bearer tokens, roles, and customers seeing only their own."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from .conftest import ADMIN, CUSTOMER, OTHER_CUSTOMER, bearer, confirm, haircut, quote, vendor


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer"}, {"Authorization": "Basic dXNlcjpwdw=="}],
    ids=["no header", "empty bearer", "basic auth"],
)
def test_a_request_without_a_bearer_token_is_401_with_a_challenge(
    client: TestClient, headers: dict[str, str]
) -> None:
    response = client.post("/api/quote", headers=headers, json=haircut())

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["code"] == "unauthenticated"


def test_an_unknown_token_is_401(client: TestClient) -> None:
    response = client.get("/api/bookings", headers=bearer("demo-nobody"))

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_authentication_comes_before_parsing_the_body(client: TestClient) -> None:
    response = client.post("/api/quote", content=b"{not json")

    assert response.status_code == 401


@pytest.mark.parametrize("token", [ADMIN, "demo-ven_kits_barber"], ids=["admin", "vendor"])
def test_only_customers_ask_for_quotes_and_confirm(client: TestClient, token: str) -> None:
    asked = client.post("/api/quote", headers=bearer(token), json=haircut())
    confirmed = confirm(client, quote(client), "k", token=token)

    assert asked.status_code == 403
    assert asked.json()["code"] == "forbidden"
    assert confirmed.status_code == 403


def test_a_customer_sees_only_their_own_bookings(client: TestClient) -> None:
    booking = confirm(client, quote(client), "k").json()
    path = f"/api/bookings/{booking['booking_id']}"

    theirs = client.get(path, headers=bearer(OTHER_CUSTOMER))
    their_list = client.get("/api/bookings", headers=bearer(OTHER_CUSTOMER))

    # Someone else's booking reads as absent, so ids cannot be probed.
    assert theirs.status_code == 404
    assert theirs.json()["code"] == "booking_not_found"
    assert their_list.json() == {"bookings": []}
    assert client.get(path, headers=bearer(CUSTOMER)).status_code == 200
    assert client.get(path, headers=bearer(ADMIN)).status_code == 200


def test_the_booked_vendor_confirms_and_other_vendors_cannot_see_it(client: TestClient) -> None:
    booking = confirm(client, quote(client), "k").json()
    booked = booking["provider_id"]
    other = next(
        v for v in ("ven_kits_barber", "ven_gastown_cuts", "ven_main_st_salon") if v != booked
    )
    path = f"/api/bookings/{booking['booking_id']}/provider-confirm"

    by_customer = client.post(path, headers=bearer(CUSTOMER))
    by_other_vendor = client.post(path, headers=vendor(other))
    by_vendor = client.post(path, headers=vendor(booked))
    twice = client.post(path, headers=vendor(booked))

    assert by_customer.status_code == 403
    assert by_other_vendor.status_code == 404
    assert by_vendor.status_code == 200
    assert by_vendor.json()["state"] == "provider_confirmed"
    assert by_vendor.json()["payment_status"] == "capture_pending"
    assert twice.status_code == 409
    assert twice.json()["code"] == "illegal_transition"
    vendor_list = client.get("/api/bookings", headers=vendor(booked)).json()["bookings"]
    assert [b["booking_id"] for b in vendor_list] == [booking["booking_id"]]


def test_the_customer_cancels_with_a_reason_and_vendors_may_not(client: TestClient) -> None:
    booking = confirm(client, quote(client), "k").json()
    path = f"/api/bookings/{booking['booking_id']}/cancel"

    by_vendor = client.post(path, headers=vendor(booking["provider_id"]))
    by_customer = client.post(path, headers=bearer(CUSTOMER), json={"reason": "plans changed"})

    assert by_vendor.status_code == 403
    assert by_customer.status_code == 200
    assert by_customer.json()["state"] == "cancelled"
    assert by_customer.json()["payment_status"] == "release_pending"
    audit = client.get(f"/api/bookings/{booking['booking_id']}", headers=bearer(ADMIN))
    assert audit.json()["audit"][-1]["reason"] == "plans changed"


def test_an_admin_may_cancel_without_a_body(client: TestClient) -> None:
    booking = confirm(client, quote(client), "k").json()

    response = client.post(f"/api/bookings/{booking['booking_id']}/cancel", headers=bearer(ADMIN))

    assert response.status_code == 200
    assert response.json()["state"] == "cancelled"


def test_an_admin_lists_every_customers_bookings(client: TestClient) -> None:
    mine = confirm(client, quote(client), "k").json()
    q = quote(client, token=OTHER_CUSTOMER, service_type="massage")
    theirs = confirm(client, q, "k", token=OTHER_CUSTOMER).json()

    listed = client.get("/api/bookings", headers=bearer(ADMIN)).json()["bookings"]

    assert {b["booking_id"] for b in listed} == {mine["booking_id"], theirs["booking_id"]}
