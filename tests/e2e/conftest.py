"""E2E fixtures: the app wired by bootstrap over memory or SQLite, seeded with the demo pilot."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from starlette.testclient import TestClient

from bookiji_adapters.memory import ManualClock, SequentialIds
from bookiji_entry.app import create_app
from bookiji_entry.bootstrap import Database, Services, bootstrap
from bookiji_entry.http.openapi import document
from bookiji_entry.seed import fixed_token, seed_demo
from bookiji_entry.settings import MEMORY_URL, Profile, Settings

# A Monday, 00:00 in Vancouver. The demo seed opens the vendors' weeks from this day.
NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
# Tuesday 10:00 in Vancouver: three haircut vendors rated 4.0+ are open downtown.
TOMORROW_10AM = "2030-01-08T18:00:00Z"
DOWNTOWN = {"latitude": 49.2827, "longitude": -123.1207}

CUSTOMER = fixed_token("cus_01")
OTHER_CUSTOMER = fixed_token("cus_02")
ADMIN = fixed_token("adm_ops")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def vendor(vendor_id: str) -> dict[str, str]:
    return bearer(fixed_token(vendor_id))


def haircut(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "service_type": "haircut",
        "location": dict(DOWNTOWN),
        "date_time": TOMORROW_10AM,
        "duration_minutes": 60,
    }
    body.update(changes)
    return body


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the demo pilot, copied by each test that needs one."""
    path = tmp_path_factory.mktemp("template") / "bookiji.db"
    services = bootstrap(
        Settings(profile=Profile.TEST, database_url=f"sqlite:///{path}"),
        clock=ManualClock(NOW),
    )
    services.database.upgrade()
    seed_demo(services.uow(), NOW, fixed_tokens=True)
    services.database.dispose()
    return path


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def services(
    request: pytest.FixtureRequest, clock: ManualClock, tmp_path: Path
) -> Iterator[Services]:
    """The services bootstrap wires, over each storage, with the demo pilot seeded at NOW."""
    if request.param == "memory":
        settings = Settings(profile=Profile.TEST, database_url=MEMORY_URL)
        wired = bootstrap(settings, clock=clock, ids=SequentialIds())
        seed_demo(wired.uow(), NOW, fixed_tokens=True)
    elif request.param == "postgres":
        # The shared fixture hands over the session's PostgreSQL database, emptied.
        storage = request.getfixturevalue("postgres_storage")
        settings = Settings(
            profile=Profile.TEST, database_url=request.getfixturevalue("postgres_url")
        )
        database = Database(storage.unit_of_work)  # disposed by the session fixture
        wired = bootstrap(settings, clock=clock, ids=SequentialIds(), database=database)
        seed_demo(wired.uow(), NOW, fixed_tokens=True)
    else:
        seeded_sqlite: Path = request.getfixturevalue("seeded_sqlite")
        path = tmp_path / "bookiji.db"
        shutil.copy(seeded_sqlite, path)
        settings = Settings(profile=Profile.TEST, database_url=f"sqlite:///{path}")
        wired = bootstrap(settings, clock=clock, ids=SequentialIds())
    yield wired
    wired.database.dispose()


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def openapi() -> dict[str, Any]:
    return document()


@pytest.fixture(scope="session")
def conforms(openapi: dict[str, Any]) -> Any:
    """`conforms("Booking", body)` validates a response body against the published schema."""

    def check(schema_name: str, instance: Any) -> None:
        schema = {"$ref": f"#/components/schemas/{schema_name}", **openapi}
        jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        ).validate(instance)

    return check


def quote(client: TestClient, token: str = CUSTOMER, **changes: Any) -> dict[str, Any]:
    response = client.post("/api/quote", headers=bearer(token), json=haircut(**changes))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def confirm(
    client: TestClient,
    quote_body: dict[str, Any],
    key: str,
    token: str = CUSTOMER,
    provider: str | None = None,
) -> Any:
    return client.post(
        "/api/bookings/confirm",
        headers={**bearer(token), "Idempotency-Key": key},
        json={
            "quote_id": quote_body["quote_id"],
            "provider_id": provider or quote_body["candidates"][0]["provider_id"],
            "payment_method": "pm_card_visa",
        },
    )
