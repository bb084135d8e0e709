"""Request observability through the wired app: correlation ids, route-template metrics, and
one JSON access-log line per request that carries no personal data."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from bookiji_adapters.telemetry import NullTelemetry
from bookiji_core.values import CustomerId, VendorId
from bookiji_entry.app import create_app
from bookiji_entry.bootstrap import Database, Services
from bookiji_entry.http.observability import ACCESS_LOGGER

from .conftest import CUSTOMER, bearer, confirm, haircut, quote

AUTH = bearer(CUSTOMER)


def access_lines(stderr: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in stderr.splitlines() if ACCESS_LOGGER in line]
    return [line for line in lines if line["logger"] == ACCESS_LOGGER]


def requests_total(client: TestClient) -> dict[tuple[str, str, str], float]:
    text = client.get("/metrics").text
    found: dict[tuple[str, str, str], float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "bookiji_http_requests_total":
                found[(s.labels["route"], s.labels["method"], s.labels["code"])] = s.value
    return found


def test_a_sane_incoming_request_id_is_returned_and_used(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.92:1_x"})

    assert response.headers["X-Request-ID"] == "lb-7f3a.92:1_x"


@pytest.mark.parametrize(
    "incoming", ["", "has spaces", "alice@example.com", "x" * 129, "crlf\\r\\ninjected"]
)
def test_an_unusable_request_id_is_replaced_by_a_new_one(client: TestClient, incoming: str) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": incoming})

    assigned = response.headers["X-Request-ID"]
    assert assigned != incoming
    assert len(assigned) == 32 and assigned.isalnum()


def test_every_response_gets_its_own_request_id(client: TestClient) -> None:
    ids = {client.get("/healthz").headers["X-Request-ID"] for _ in range(5)}

    assert len(ids) == 5


@pytest.mark.parametrize(
    "method, path, kwargs, status",
    [
        ("get", "/api/bookings", {}, 401),
        ("get", "/no/such/thing", {}, 404),
        ("delete", "/api/quote", {}, 405),
        ("post", "/api/quote", {"content": b"{", "headers": AUTH}, 400),
        ("post", "/api/quote", {"json": haircut(duration_minutes=-5), "headers": AUTH}, 422),
    ],
)
def test_every_problem_body_carries_the_correlation_id_of_its_response(
    client: TestClient, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    response = getattr(client, method)(path, **kwargs)

    assert response.status_code == status
    assert response.json()["correlation_id"] == response.headers["X-Request-ID"]


def test_an_unexpected_error_is_a_500_problem_that_still_carries_the_correlation_id(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    def unit_of_work() -> Any:
        raise RuntimeError("password=hunter2 at db.internal")

    broken = attrs.evolve(services, database=Database(unit_of_work))
    with TestClient(create_app(broken), raise_server_exceptions=False) as client:
        response = client.post(
            "/api/quote", headers={**AUTH, "X-Request-ID": "req-500"}, json=haircut()
        )

    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "req-500"
    assert response.json()["code"] == "internal_error"
    assert response.json()["correlation_id"] == "req-500"
    assert "hunter2" not in response.text
    (line,) = [x for x in access_lines(capsys.readouterr().err) if x["route"] == "/api/quote"]
    assert (line["status"], line["level"], line["correlation_id"]) == (500, "error", "req-500")


def test_requests_are_counted_by_route_template_never_by_raw_path(client: TestClient) -> None:
    for booking_id in ("bk_alpha", "bk_beta", "bk_gamma"):
        client.get(f"/api/bookings/{booking_id}", headers=AUTH)
    client.get("/wp-login.php")
    client.get("/another/unknown/path")
    client.request("PROPFIND", "/healthz")

    counted = requests_total(client)
    assert counted[("/api/bookings/{booking_id}", "GET", "404")] == 3
    assert counted[("unmatched", "GET", "404")] == 2
    assert counted[("/healthz", "other", "405")] == 1
    scrape = client.get("/metrics").text
    assert "bk_alpha" not in scrape and "wp-login" not in scrape


def test_each_request_writes_one_json_access_line_with_the_documented_fields(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    response = client.get("/api/bookings/bk_nope", headers={**AUTH, "X-Request-ID": "trace-1"})

    (line,) = access_lines(capsys.readouterr().err)
    assert set(line) == {
        "ts",
        "level",
        "logger",
        "msg",
        "correlation_id",
        "method",
        "route",
        "status",
        "duration_ms",
    }
    assert line["correlation_id"] == "trace-1" == response.headers["X-Request-ID"]
    assert (line["method"], line["route"], line["status"]) == (
        "GET",
        "/api/bookings/{booking_id}",
        404,
    )
    assert line["level"] == "info" and line["msg"] == "request"
    assert line["ts"].endswith("+00:00") and line["duration_ms"] >= 0


def test_no_personal_data_or_token_reaches_the_access_log_after_quote_and_confirm(
    client: TestClient, services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    quoted = quote(client)
    confirmed = confirm(client, quoted, "k-pii")
    assert confirmed.status_code == 201, confirmed.text
    booking_id = confirmed.json()["booking_id"]
    assert client.get(f"/api/bookings/{booking_id}", headers=AUTH).status_code == 200
    logged = capsys.readouterr().err

    with services.uow() as uow:
        customer = uow.customers.get(CustomerId("cus_01"))
        vendor = uow.vendors.get(VendorId(quoted["candidates"][0]["provider_id"]))
    assert customer is not None and vendor is not None
    lines = access_lines(logged)
    assert [line["route"] for line in lines] == [
        "/api/quote",
        "/api/bookings/confirm",
        "/api/bookings/{booking_id}",
    ]
    secrets = [
        CUSTOMER,  # the bearer token
        customer.email,
        customer.name,
        customer.phone,
        vendor.email,
        vendor.name,
        vendor.phone,
        vendor.address,
        booking_id,  # raw paths are not logged either
        "testclient",  # the client address TestClient reports
    ]
    assert [s for s in secrets if s in logged] == []


def test_metrics_answer_404_when_telemetry_is_off(services: Services) -> None:
    quiet = attrs.evolve(services, telemetry=NullTelemetry())
    with TestClient(create_app(quiet)) as client:
        response = client.get("/metrics")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_without_instrumentation_there_is_no_request_id_and_no_access_line(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    with TestClient(create_app(services, instrument=False)) as client:
        response = client.get("/healthz")

    assert "X-Request-ID" not in response.headers
    assert access_lines(capsys.readouterr().err) == []
