"""Every bad request gets an RFC 9457 problem with a stable code; no client input is a 500."""

from __future__ import annotations

import importlib
import json
import pkgutil
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

import bookiji_core
from bookiji_core import errors
from bookiji_entry.app import create_app
from bookiji_entry.bootstrap import Database, Services
from bookiji_entry.http._io import MAX_BODY_BYTES
from bookiji_entry.problems import PROBLEMS, TYPE_PREFIX

from .conftest import CUSTOMER, DOWNTOWN, bearer, haircut, quote

AUTH = bearer(CUSTOMER)


def assert_problem(response: Any, status: int, code: str, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == TYPE_PREFIX + code
    assert (body["status"], body["code"]) == (status, code)
    assert body["title"] and body["detail"]
    if field is not None:
        assert body["field"] == field


@pytest.mark.parametrize(
    "raw",
    [b"{", b"", b"   ", b"\xff\xfe", b'{"a": NaN}', b"[" * 5000 + b"]" * 5000],
    ids=["truncated", "empty", "blank", "not utf-8", "NaN", "deeply nested"],
)
def test_a_body_that_is_not_json_is_a_400(client: TestClient, raw: bytes) -> None:
    response = client.post("/api/quote", headers=AUTH, content=raw)

    assert_problem(response, 400, "malformed_json")


@pytest.mark.parametrize("raw", [b"[]", b"42", b'"quote"', b"null"])
def test_json_that_is_not_an_object_is_invalid_input(client: TestClient, raw: bytes) -> None:
    response = client.post("/api/quote", headers=AUTH, content=raw)

    assert_problem(response, 422, "invalid_input", "body")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({k: v for k, v in haircut().items() if k != "service_type"}, "service_type"),
        ({k: v for k, v in haircut().items() if k != "location"}, "location"),
        ({k: v for k, v in haircut().items() if k != "date_time"}, "date_time"),
        (haircut(location={"longitude": -123.1}), "location.latitude"),
        (haircut(location={"latitude": 49.2}), "location.longitude"),
        (haircut(service_type=42), "service_type"),
        (haircut(service_type="hair cut!"), "service_type"),
        (haircut(location="Vancouver"), "location"),
        (haircut(location={**DOWNTOWN, "latitude": "49.28"}), "location.latitude"),
        (haircut(location={**DOWNTOWN, "latitude": True}), "location.latitude"),
        (haircut(location={**DOWNTOWN, "latitude": 91}), "location.latitude"),
        (haircut(location={**DOWNTOWN, "longitude": -180.5}), "location.longitude"),
        (haircut(location={**DOWNTOWN, "latitude": 10**400}), "location.latitude"),
        (haircut(location={**DOWNTOWN, "radius_km": 0}), "location.radius_km"),
        (haircut(location={**DOWNTOWN, "radius_km": 5000}), "location.radius_km"),
        (haircut(date_time="2030-01-08T18:00:00"), "date_time"),
        (haircut(date_time="tomorrow at ten"), "date_time"),
        (haircut(date_time=1893456000), "date_time"),
        (haircut(duration_minutes="60"), "duration_minutes"),
        (haircut(duration_minutes=30.5), "duration_minutes"),
        (haircut(duration_minutes=0), "duration_minutes"),
        (haircut(duration_minutes=-60), "duration_minutes"),
        (haircut(duration_minutes=10**12), "duration_minutes"),
        (haircut(duration_minutes=24 * 60), "duration_minutes"),
    ],
)
def test_a_quote_with_a_missing_wrong_or_out_of_range_field_names_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/quote", headers=AUTH, json=body)

    assert_problem(response, 422, "invalid_input", field)


def test_a_naive_date_time_is_refused_because_its_offset_is_unknown(client: TestClient) -> None:
    response = client.post(
        "/api/quote", headers=AUTH, json=haircut(date_time="2030-01-08T10:00:00")
    )

    assert_problem(response, 422, "invalid_input", "date_time")
    assert "offset" in response.json()["detail"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"quote_id": None}, "quote_id"),
        ({"provider_id": 7}, "provider_id"),
        ({"payment_method": ""}, "payment_method"),
        ({"quote_id": "q" * 65}, "quote_id"),
    ],
)
def test_a_confirm_with_a_missing_or_wrong_field_names_the_field(
    client: TestClient, changes: dict[str, Any], field: str
) -> None:
    body = {"quote_id": "q_1", "provider_id": "ven_kits_barber", "payment_method": "pm_card_visa"}
    body.update(changes)

    response = client.post(
        "/api/bookings/confirm", headers={**AUTH, "Idempotency-Key": "k"}, json=body
    )

    assert_problem(response, 422, "invalid_input", field)


@pytest.mark.parametrize(
    "key", [None, "", "   ", "k" * 256], ids=["none", "empty", "blank", "long"]
)
def test_confirm_needs_a_sensible_idempotency_key(client: TestClient, key: str | None) -> None:
    q = quote(client)
    headers = dict(AUTH) if key is None else {**AUTH, "Idempotency-Key": key}
    body = {
        "quote_id": q["quote_id"],
        "provider_id": q["candidates"][0]["provider_id"],
        "payment_method": "pm_card_visa",
    }

    response = client.post("/api/bookings/confirm", headers=headers, json=body)

    assert_problem(response, 422, "invalid_input", "Idempotency-Key")


def test_a_body_over_64_kib_is_a_413(client: TestClient) -> None:
    body = haircut(padding="x" * MAX_BODY_BYTES)

    response = client.post("/api/quote", headers=AUTH, json=body)

    assert_problem(response, 413, "body_too_large")


def test_a_streamed_body_over_the_limit_is_cut_off_without_a_content_length(
    client: TestClient,
) -> None:
    def chunks() -> Any:
        for _ in range(MAX_BODY_BYTES // 1024 + 2):
            yield b" " * 1024

    response = client.post("/api/quote", headers=AUTH, content=chunks())

    assert_problem(response, 413, "body_too_large")


def test_an_unknown_route_is_a_404_problem(client: TestClient) -> None:
    assert_problem(client.get("/api/nothing-here"), 404, "not_found")


def test_an_unknown_booking_is_a_404_problem(client: TestClient) -> None:
    assert_problem(client.get("/api/bookings/bk_nope", headers=AUTH), 404, "booking_not_found")


def test_a_wrong_method_is_a_405_problem_that_lists_the_allowed_ones(client: TestClient) -> None:
    response = client.get("/api/quote")

    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize("limit", ["0", "101", "ten", "-1"])
def test_a_bad_list_limit_is_invalid_input(client: TestClient, limit: str) -> None:
    response = client.get(f"/api/bookings?limit={limit}", headers=AUTH)

    assert_problem(response, 422, "invalid_input", "limit")


def _domain_errors(cls: type[errors.DomainError]) -> list[type[errors.DomainError]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_domain_errors(sub)]
    return found


def test_every_domain_error_code_of_the_core_has_a_status_in_the_one_table() -> None:
    for module in pkgutil.walk_packages(bookiji_core.__path__, "bookiji_core."):
        importlib.import_module(module.name)  # a subclass exists once its module is loaded
    codes = {cls.code for cls in _domain_errors(errors.DomainError) if cls.__name__[0] != "_"}

    assert codes - set(PROBLEMS) == set()


def _broken_services(services: Services, error: Exception) -> Services:
    def unit_of_work() -> Any:
        raise error

    return attrs.evolve(services, database=Database(unit_of_work))


def test_an_unexpected_error_is_a_500_problem_that_leaks_nothing(services: Services) -> None:
    app = create_app(_broken_services(services, RuntimeError("password=hunter2 at db.internal")))

    with TestClient(app, raise_server_exceptions=False) as broken:
        response = broken.post("/api/quote", headers=AUTH, json=haircut())

    assert_problem(response, 500, "internal_error")
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text


def test_readiness_fails_with_503_when_the_database_is_unreachable(services: Services) -> None:
    app = create_app(_broken_services(services, ConnectionError("database is down")))

    with TestClient(app) as broken:
        assert broken.get("/healthz").status_code == 200
        assert_problem(broken.get("/readyz"), 503, "not_ready")


def test_liveness_and_readiness_answer_when_all_is_well(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)
quote_like = st.fixed_dictionaries(
    {},
    optional={
        "service_type": st.sampled_from(["haircut", "massage", ""]) | json_values,
        "location": st.fixed_dictionaries(
            {},
            optional={
                "latitude": st.floats(-100, 100) | json_values,
                "longitude": st.floats(-200, 200) | json_values,
                "radius_km": st.floats(-1, 200) | json_values,
            },
        )
        | json_values,
        "date_time": st.datetimes().map(lambda d: d.isoformat() + "Z")
        | st.sampled_from(["2030-01-08T18:00:00Z", "2030-01-08T18:00:00+25:00", "0001-01-01"])
        | json_values,
        "duration_minutes": st.integers() | json_values,
    },
)
confirm_like = st.fixed_dictionaries(
    {},
    optional={
        "quote_id": st.text(max_size=70) | json_values,
        "provider_id": st.sampled_from(["ven_kits_barber", ""]) | json_values,
        "payment_method": st.just("pm_card_visa") | json_values,
    },
)
# What HTTP can carry in a header value: printable Latin-1 (control characters never arrive).
header_values = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=300,
)
fuzz = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _assert_handled(response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] in PROBLEMS


@fuzz
@given(body=quote_like | json_values)
def test_no_quote_body_whatsoever_causes_a_server_error(client: TestClient, body: Any) -> None:
    _assert_handled(client.post("/api/quote", headers=AUTH, content=json.dumps(body)))


@fuzz
@given(body=confirm_like | json_values, key=header_values)
def test_no_confirm_body_or_key_whatsoever_causes_a_server_error(
    client: TestClient, body: Any, key: str
) -> None:
    headers = {**AUTH, "Idempotency-Key": key.encode("latin-1")}
    _assert_handled(client.post("/api/bookings/confirm", headers=headers, content=json.dumps(body)))
