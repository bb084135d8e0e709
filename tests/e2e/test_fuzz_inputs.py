"""Hypothesis over what schemathesis does not reach: correctly signed webhook bodies of any
shape and query strings of any characters, on SQLite and PostgreSQL. Never a 5xx; a refusal is
a problem with a stable code and writes nothing; an event about an object the provider does not
know is acknowledged (200, `ignored`) and counted, so that Stripe stops delivering it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from bookiji_adapters.memory import InMemoryTelemetry
from bookiji_adapters.stripe import signature_header
from bookiji_entry.app import create_app
from bookiji_entry.bootstrap import Services, bootstrap
from bookiji_entry.payments import webhook_secret

from .conftest import CUSTOMER, NOW, bearer, vendor

STORAGES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
FUZZ = settings(
    max_examples=60,
    deadline=None,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
# The characters and sizes that broke the service before: NUL, lone surrogates, digits that
# are not ASCII, long strings, numbers no integer column holds.
TEXT = st.one_of(
    st.text(max_size=20),
    st.text(alphabet=st.sampled_from("\x00\ud800\udfff١٢३߀𝟘 é\n"), max_size=8),
    st.text(min_size=250, max_size=300),
)
NUMBER = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
)
JSON = st.recursive(
    st.none() | st.booleans() | NUMBER | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
EVENT = st.fixed_dictionaries(
    {"id": TEXT, "type": TEXT, "data": st.fixed_dictionaries({"object": JSON})},
    optional={"created": NUMBER | TEXT, "object": TEXT},
)


def _problem(response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"]


def _signed(client: TestClient, services: Services, payload: bytes) -> Any:
    at = int(services.clock.now().timestamp())
    header = signature_header(payload, webhook_secret(services.settings), at)
    return client.post(
        "/api/webhooks/stripe", content=payload, headers={"Stripe-Signature": header}
    )


def _inbox_size(services: Services, ids: list[str]) -> int:
    storable = [i for i in ids if "\x00" not in i]  # PostgreSQL could not even look one up
    with services.uow() as uow:
        return sum(1 for i in storable if uow.webhook_inbox.get(i) is not None)


@pytest.mark.parametrize("services", STORAGES, indirect=True)
def test_a_signed_body_of_any_shape_is_never_a_5xx(client: TestClient, services: Services) -> None:
    @FUZZ
    @given(body=st.one_of(EVENT, JSON))
    def deliver(body: Any) -> None:
        payload = json.dumps(body).encode("utf-8", "surrogatepass")
        _problem(_signed(client, services, payload))

    deliver()


@pytest.mark.parametrize("services", STORAGES, indirect=True)
def test_a_refused_event_writes_nothing(client: TestClient, services: Services) -> None:
    refused = [
        {"id": "evt_nul\u0000", "type": "payment_intent.succeeded", "data": {"object": {}}},
        {"id": "evt_long" + "x" * 300, "type": "charge.refunded", "data": {"object": {}}},
        {"id": "evt_when", "type": "x", "created": 10**15, "data": {"object": {}}},
        {"id": "evt_obj", "type": "x", "data": {"object": 5}},
        {"id": 7, "type": "x", "data": {"object": {}}},
    ]
    for body in refused:
        response = _signed(client, services, json.dumps(body).encode())
        assert response.status_code in (400, 422), response.text
        _problem(response)
    lone = b'{"id": "evt_lone\\ud800", "type": "x", "data": {"object": {}}}'
    assert _signed(client, services, lone).status_code == 400

    assert _inbox_size(services, [str(b["id"]) for b in refused]) == 0


@pytest.mark.parametrize("services", STORAGES, indirect=True)
def test_an_event_about_an_unknown_object_is_acknowledged_and_counted(
    services: Services,
) -> None:
    telemetry = InMemoryTelemetry()
    wired = bootstrap(
        services.settings, clock=services.clock, telemetry=telemetry, database=services.database
    )
    body = {
        "id": "evt_unknown_pi",
        "type": "payment_intent.succeeded",
        "created": int(NOW.timestamp()),
        "data": {"object": {"id": "pi_nobody_knows", "object": "payment_intent"}},
    }
    with TestClient(create_app(wired)) as client:
        first = _signed(client, wired, json.dumps(body).encode())
        again = _signed(client, wired, json.dumps(body).encode())

    assert first.status_code == 200, first.text
    assert first.json() == {"received": True, "outcome": "ignored"}
    assert again.json()["outcome"] == "idempotent_skip"  # in the inbox: never asked again
    assert telemetry.counts[("webhook", "ignored")] == 1


@pytest.mark.parametrize("services", STORAGES, indirect=True)
def test_a_query_string_of_any_characters_is_never_a_5xx(
    client: TestClient, services: Services
) -> None:
    availability = "/api/vendors/ven_kits_barber/availability"

    @FUZZ
    @given(name=st.sampled_from(["limit", "from", "to", "x"]), value=TEXT)
    def ask(name: str, value: str) -> None:
        text = value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        _problem(client.get("/api/bookings", params={name: text}, headers=bearer(CUSTOMER)))
        query = {"from": "2030-01-07T00:00:00Z", "to": "2030-01-08T00:00:00Z", name: text}
        _problem(client.get(availability, params=query, headers=vendor("ven_kits_barber")))

    ask()
