"""The vendors' catalogue over HTTP: a vendor edits its own, quotes see it at once, a change
that strands a booking is a 409 problem naming it, and the exact location stays private."""

from __future__ import annotations

import jsonschema
from starlette.testclient import TestClient

from tests.e2e.conftest import ADMIN, CUSTOMER, bearer, haircut, vendor

KITS = "ven_kits_barber"
BASE = f"/api/vendors/{KITS}"
OVERLAP = ["10:00-12:00", "11:00-13:00"]
ALL_WEEK = {d: ["09:00-19:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def quoted_vendors(client: TestClient, **changes: object) -> list[str]:
    response = client.post("/api/quote", json=haircut(**changes), headers=bearer(CUSTOMER))
    if response.status_code == 422:
        return []
    assert response.status_code in (200, 201), response.text
    return [c["provider_id"] for c in response.json()["candidates"]]


def test_the_demo_vendors_are_quotable_a_year_after_seeding(client: TestClient) -> None:
    assert KITS in quoted_vendors(client, date_time="2030-12-17T18:00:00Z")


def test_a_vendor_reads_its_catalogue_with_its_exact_location(client: TestClient) -> None:
    response = client.get(f"{BASE}/catalogue", headers=vendor(KITS))

    assert response.status_code == 200
    body = response.json()
    assert body["time_zone"] == "America/Vancouver"
    assert body["weekly"]["mon"] == ["09:00-19:00"]
    assert body["location"]["address"] == "2150 W 4th Ave, Vancouver, BC"
    assert [s["service_type"] for s in body["services"]] == ["haircut"]


def test_another_vendor_and_a_customer_are_forbidden_and_an_admin_is_not(
    client: TestClient,
) -> None:
    for headers in (vendor("ven_gastown_cuts"), bearer(CUSTOMER)):
        assert client.get(f"{BASE}/catalogue", headers=headers).status_code == 403
    assert client.get(f"{BASE}/catalogue", headers=bearer(ADMIN)).status_code == 200
    assert client.get(f"{BASE}/catalogue").status_code == 401


def test_a_closed_day_takes_the_vendor_out_of_the_next_quote_at_once(client: TestClient) -> None:
    assert KITS in quoted_vendors(client)
    closed = client.put(f"{BASE}/catalogue/exceptions/2030-01-08", json={"closed": True},
                        headers=vendor(KITS))  # fmt: skip
    assert closed.status_code == 200, closed.text

    assert KITS not in quoted_vendors(client, duration_minutes=61)  # a new intent, no reuse

    assert client.delete(f"{BASE}/catalogue/exceptions/2030-01-08",
                         headers=vendor(KITS)).status_code == 200  # fmt: skip
    assert KITS in quoted_vendors(client, duration_minutes=62)


def test_a_service_rate_and_durations_change_the_next_quote(client: TestClient) -> None:
    body = {"hourly_rate_minor": 12000, "durations": [30]}
    assert client.put(f"{BASE}/catalogue/services/haircut", json=body,
                      headers=vendor(KITS)).status_code == 200  # fmt: skip

    assert KITS not in quoted_vendors(client)
    response = client.post(
        "/api/quote", json=haircut(duration_minutes=30), headers=bearer(CUSTOMER)
    )
    prices = {c["provider_id"]: c["price"]["amount"] for c in response.json()["candidates"]}
    assert prices[KITS] == 6000


def test_closing_the_hours_of_a_booking_is_a_409_problem_that_names_it(client: TestClient) -> None:
    quote = client.post("/api/quote", json=haircut(), headers=bearer(CUSTOMER)).json()
    confirm = {"quote_id": quote["quote_id"], "provider_id": KITS, "payment_method": "pm_card_visa"}
    booked = client.post("/api/bookings/confirm", json=confirm,
                         headers={**bearer(CUSTOMER), "Idempotency-Key": "cat-1"})  # fmt: skip
    assert booked.status_code == 201, booked.text
    evenings = {"time_zone": "America/Vancouver", "weekly": {**ALL_WEEK, "tue": ["15:00-19:00"]}}

    refused = client.put(f"{BASE}/catalogue/hours", json=evenings, headers=vendor(KITS))

    assert refused.status_code == 409
    assert refused.json()["code"] == "catalogue_change_strands_booking"
    assert refused.json()["booking_ids"] == [booked.json()["booking_id"]]
    after = client.get(f"{BASE}/catalogue", headers=vendor(KITS)).json()
    assert after["weekly"]["tue"] == ["09:00-19:00"]


def test_a_new_location_is_private_and_its_zone_is_what_customers_see(client: TestClient) -> None:
    place = {"address": "1 Secret Lane", "latitude": 49.2830, "longitude": -123.1210,
             "zone": "Vancouver – Downtown"}  # fmt: skip
    assert client.put(f"{BASE}/catalogue/location", json=place,
                      headers=vendor(KITS)).status_code == 200  # fmt: skip

    response = client.post("/api/quote", json=haircut(), headers=bearer(CUSTOMER))

    assert "Secret" not in response.text and "49.283" not in response.text
    assert KITS in [c["provider_id"] for c in response.json()["candidates"]]


def test_bad_catalogue_input_is_a_422_problem_and_changes_nothing(client: TestClient) -> None:
    bad = [
        ("/catalogue/hours", {"time_zone": "Mars/Base", "weekly": ALL_WEEK}, "time_zone"),
        ("/catalogue/hours", {"time_zone": "UTC", "weekly": {"mon": OVERLAP}}, "weekly.mon"),
        ("/catalogue/hours", {"time_zone": "UTC", "weekly": {"funday": []}}, "weekly"),
        ("/catalogue/services/haircut", {"hourly_rate_minor": -5}, "hourly_rate_minor"),
        ("/catalogue/services/haircut", {"hourly_rate_minor": 10.5}, "hourly_rate_minor"),
        ("/catalogue/services/haircut", {"hourly_rate_minor": 100, "durations": [0]}, "durations"),
        ("/catalogue/exceptions/2030-02-30", {"closed": True}, "date"),
        ("/catalogue/exceptions/2030-02-03", {"closed": True, "hours": ["09:00-10:00"]}, "hours"),
        ("/catalogue/location", {"address": "x", "latitude": 99, "longitude": 0, "zone": "z"},
         "location.latitude"),
    ]  # fmt: skip
    before = client.get(f"{BASE}/catalogue", headers=vendor(KITS)).json()
    for path, body, field in bad:
        response = client.put(BASE + path, json=body, headers=vendor(KITS))
        assert response.status_code == 422, (path, body, response.text)
        assert response.json()["field"] == field, (path, body)
    assert client.get(f"{BASE}/catalogue", headers=vendor(KITS)).json() == before


def test_availability_lists_open_and_free_windows_for_any_dates(client: TestClient) -> None:
    response = client.get(
        f"{BASE}/availability",
        params={"from": "2031-03-09T08:00:00Z", "to": "2031-03-10T08:00:00Z"},
        headers=vendor(KITS),
    )

    assert response.status_code == 200, response.text
    # 2031-03-09 is DST day in Vancouver: 09:00 PDT is 16:00 UTC.
    assert response.json()["open"] == [
        {"start": "2031-03-09T16:00:00Z", "end": "2031-03-10T02:00:00Z"}
    ]


def test_the_document_and_the_server_agree_on_closed_or_hours(client: TestClient) -> None:
    """The rule between a date's two fields is in /openapi.json, and the server keeps it."""
    document = client.get("/openapi.json").json()
    schema = {
        **document["components"]["schemas"]["DateHours"],
        "components": document["components"],
    }
    url = f"{BASE}/catalogue/exceptions/2030-01-15"
    for body in (
        {"closed": True},
        {"hours": ["10:00-12:00"]},
        {"closed": False, "hours": ["9:00-10:00"]},
    ):
        jsonschema.validate(body, schema)
        assert client.put(url, json=body, headers=vendor(KITS)).status_code == 200, body
    for body in ({}, {"closed": True, "hours": ["10:00-12:00"]}, {"closed": False}, {"hours": []}):
        assert not jsonschema.Draft202012Validator(schema).is_valid(body), body
        refused = client.put(url, json=body, headers=vendor(KITS))
        assert (refused.status_code, refused.json()["code"]) == (422, "invalid_input"), body
