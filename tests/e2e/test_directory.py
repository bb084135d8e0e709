"""GET /api/directory: 404 while beta.public_directory is off (the MVP default); vendors by
zone with services, rating and response time while it is on, and never anything personal."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from bookiji_entry.bootstrap import Services
from bookiji_entry.cli import main

PERSONAL = ("name", "email", "phone", "address", "latitude", "longitude", "location", "@")


def flag(services: Services, value: str) -> None:
    argv = ["flags", "set", "beta.public_directory", value, "--reason", "beta"]
    assert main(argv, services=services) == 0


def test_the_directory_is_404_while_the_flag_is_off(client: TestClient) -> None:
    answer = client.get("/api/directory")
    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"


def test_on_it_lists_vendors_by_zone_without_personal_data_and_off_again_it_is_gone(
    client: TestClient,
    services: Services,
    conforms: object,
    capsys: pytest.CaptureFixture[str],
) -> None:
    flag(services, "on")
    answer = client.get("/api/directory")  # no token

    assert answer.status_code == 200
    body = answer.json()
    conforms("Directory", body)  # type: ignore[operator]
    zones = [z["zone"] for z in body["zones"]]
    assert zones == sorted(zones) and len(zones) >= 2
    listed = [v for z in body["zones"] for v in z["vendors"]]
    assert len(listed) == 9  # the demo pilot's vendors
    assert all(v["services"] and 0 <= v["rating"] <= 5 for v in listed)
    text = json.dumps(body)
    assert not [word for word in PERSONAL if word in text]
    with services.uow() as uow:
        vendor = uow.vendors.get(listed[0]["provider_id"])
    assert vendor is not None and vendor.address not in text and vendor.name not in text

    flag(services, "off")
    assert client.get("/api/directory").status_code == 404


def test_a_deleted_vendor_leaves_the_directory(
    client: TestClient, services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    flag(services, "on")
    first = client.get("/api/directory").json()["zones"][0]["vendors"][0]["provider_id"]
    argv = ["privacy", "delete", "--subject", first, "--reason", "PRIV-1"]
    assert main(argv, services=services) == 0
    listed = [
        v["provider_id"] for z in client.get("/api/directory").json()["zones"] for v in z["vendors"]
    ]
    assert first not in listed and len(listed) == 8
