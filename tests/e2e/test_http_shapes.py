"""The declared operations drive the router, the checks' order and the document."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from bookiji_core.access import Role
from bookiji_core.booking_states import ActorType, BookingState
from bookiji_core.values import MAX_ID_LENGTH, SLUG_PATTERN
from bookiji_entry.http._io import Call
from bookiji_entry.http._spec import Answer, Operation, Reply, _serve
from bookiji_entry.shapes.bookings import Booking

from .conftest import ADMIN, CUSTOMER, bearer, haircut, quote, vendor

KITS = "ven_kits_barber"


def _problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


def test_a_vendor_confirming_without_an_idempotency_key_is_refused_for_its_role(
    client: TestClient,
) -> None:
    body = {"quote_id": "q_1", "provider_id": KITS, "payment_method": "pm_card_visa"}

    response = client.post("/api/bookings/confirm", headers=vendor(KITS), json=body)

    _problem(response, 403, "forbidden")


@pytest.mark.parametrize(
    ("method", "path", "token", "raw"),
    [
        ("POST", "/api/quote", vendor(KITS)["Authorization"], b"{"),
        ("POST", "/api/bookings/confirm", vendor(KITS)["Authorization"], b"[]"),
        ("POST", "/api/principals", f"Bearer {CUSTOMER}", b'{"role": "wizard"}'),
        ("POST", "/api/simcity/config", f"Bearer {CUSTOMER}", b'{"warp_speed": 9}'),
        ("PUT", f"/api/vendors/{KITS}/catalogue/hours", f"Bearer {CUSTOMER}", b"nope"),
    ],
)
def test_the_role_is_checked_before_the_body_is_read(
    client: TestClient, method: str, path: str, token: str, raw: bytes
) -> None:
    response = client.request(method, path, headers={"Authorization": token}, content=raw)

    _problem(response, 403, "forbidden")


def test_no_token_is_a_401_before_the_body_or_the_parameters_are_read(
    client: TestClient,
) -> None:
    response = client.get("/api/bookings?limit=nope")

    _problem(response, 401, "unauthenticated")


def test_the_published_shapes_carry_the_core_facts(openapi: dict[str, Any]) -> None:
    schemas = openapi["components"]["schemas"]

    assert schemas["BookingState"]["enum"] == sorted(s.value for s in BookingState)
    assert schemas["ActorType"]["enum"] == sorted(a.value for a in ActorType)
    assert schemas["Role"]["enum"] == sorted(r.value for r in Role)
    assert schemas["ConfirmRequest"]["properties"]["quote_id"]["maxLength"] == MAX_ID_LENGTH
    assert schemas["QuoteRequest"]["properties"]["service_type"]["pattern"] == SLUG_PATTERN


def test_a_query_parameter_in_non_ascii_digits_is_invalid_input(client: TestClient) -> None:
    response = client.get("/api/bookings", params={"limit": "١٢"}, headers=bearer(CUSTOMER))

    _problem(response, 422, "invalid_input")
    assert response.json()["field"] == "limit"


def test_an_answer_of_a_shape_its_status_does_not_declare_is_a_server_bug() -> None:
    op = Operation(
        "GET", "/x", "x", "x", "x", lambda _call: Answer(object()), (Reply(200, "ok", Booking),),
        roles=None,
    )  # fmt: skip
    call = Call(headers={}, path_params={}, query={}, raw_body=b"")  # type: ignore[arg-type]

    with pytest.raises(TypeError, match="answered 200 with object"):
        _serve(op, None, op.handler, call)


def test_a_customer_quote_and_the_admin_listing_still_pass_through(client: TestClient) -> None:
    assert quote(client)["reused"] is False
    response = client.get("/api/principals", headers=bearer(ADMIN))
    assert response.status_code == 200
    assert client.post("/api/quote", headers=bearer(CUSTOMER), json=haircut()).status_code == 200
