"""GET /api/status and GET /status: public, the SLA banner raised with `bkctl flags set
ops.sla_banner on --message`, in every quote response too; each SLO against its objective; the
outbox and DLQ."""

from __future__ import annotations

import base64
import hashlib

import pytest
from starlette.testclient import TestClient

from bookiji_entry.bootstrap import Services
from bookiji_entry.cli import main
from tests.e2e.conftest import haircut, quote

NOTICE = "Quotes are slower than usual; bookings still work."


def raise_banner(services: Services, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["flags", "set", "ops.sla_banner", "on", "--reason", "INC-2", "--message", NOTICE]
    assert main(argv, services=services) == 0, capsys.readouterr().err


def test_without_a_banner_the_status_is_public_and_lists_each_slo(
    client: TestClient, conforms: object
) -> None:
    quote(client)
    answer = client.get("/api/status")  # no token

    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    body = answer.json()
    conforms("ServiceStatus", body)  # type: ignore[operator]
    assert body["banner"] is None
    names = [r["name"] for r in body["slos"]]
    assert "latency /api/quote P95" in names and "availability" in names
    assert "privacy export P95" in names and "rollback P95" in names
    assert set(body["outbox"]) == {"queued", "in_flight", "committed", "dlq"} | set(body["outbox"])
    quoted = client.post(
        "/api/quote", headers={"Authorization": "Bearer demo-cus_02"}, json=haircut()
    )
    assert quoted.json()["notice"] is None


def test_a_raised_banner_is_on_the_status_the_page_and_every_quote(
    client: TestClient, services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    raise_banner(services, capsys)

    body = client.get("/api/status").json()
    page = client.get("/status")
    quoted = quote(client)

    assert (body["banner"], body["status"]) == (NOTICE, "degraded")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f"<strong>Notice:</strong> {NOTICE}" in page.text
    assert "Payment dead-letter queue: 0 message(s)" in page.text
    assert quoted["notice"] == NOTICE


def test_the_banner_message_is_escaped_on_the_page(
    client: TestClient, services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["flags", "set", "ops.sla_banner", "on", "--reason", "x", "--message", "<b>hi</b>"]
    assert main(argv, services=services) == 0
    assert "&lt;b&gt;hi&lt;/b&gt;" in client.get("/status").text


def test_the_banner_cannot_go_on_without_a_message(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["flags", "set", "ops.sla_banner", "on", "--reason", "INC-2"]
    assert main(argv, services=services) != 0
    assert "message" in capsys.readouterr().err


def test_the_page_allows_exactly_its_own_style_and_nothing_else(client: TestClient) -> None:
    page = client.get("/status")
    style = page.text.split("<style>", 1)[1].split("</style>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    policy = page.headers["content-security-policy"]
    assert f"style-src 'sha256-{digest}'" in policy and "default-src 'none'" in policy
    assert "<script" not in page.text
