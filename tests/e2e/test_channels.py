"""Notification channels and opt-outs over HTTP (a person manages their own, an admin anyone's)
and `bkctl channels`; an opt-out holds for what is already queued; bad input changes nothing."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from bookiji_core.notifications import Channel, NotificationState
from bookiji_entry.bootstrap import Services, loops

from .conftest import ADMIN, CUSTOMER, OTHER_CUSTOMER, bearer, confirm, quote, vendor
from .test_bkctl_commands import run

BASE = "/api/principals/{}/channels"


def test_a_customer_sees_the_profile_email_as_their_channel(client: TestClient) -> None:
    response = client.get(BASE.format("cus_01"), headers=bearer(CUSTOMER))

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    (email,) = response.json()["channels"]
    assert (email["channel"], email["opted_out"], email["has_secret"]) == ("email", False, False)


def test_a_vendor_registers_a_webhook_and_gets_a_secret_once(client: TestClient) -> None:
    put = client.put(
        BASE.format("ven_kits_barber") + "/webhook",
        headers=vendor("ven_kits_barber"),
        json={"address": "https://hooks.example.test/bookiji"},
    )

    assert put.status_code == 200, put.text
    assert put.json()["secret"].startswith("whsec_") and put.json()["has_secret"] is True
    listed = client.get(BASE.format("ven_kits_barber"), headers=vendor("ven_kits_barber")).json()
    assert [c["channel"] for c in listed["channels"]] == ["email", "webhook"]
    assert "whsec_" not in json.dumps(listed)


def test_a_person_cannot_touch_someone_elses_channels_but_an_admin_can(
    client: TestClient,
) -> None:
    other = client.get(BASE.format("cus_01"), headers=bearer(OTHER_CUSTOMER))
    admin = client.post(BASE.format("cus_01") + "/email/opt-out", headers=bearer(ADMIN))

    assert other.status_code == 403 and other.json()["code"] == "forbidden"
    assert admin.status_code == 200 and admin.json()["opted_out"] is True


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("/email", {"address": "not an address"}, "invalid_input"),
        ("/email", {}, "invalid_input"),
        ("/webhook", {"address": "https://x.example.test/h"}, "invalid_input"),  # a customer
        ("/fax", {"address": "123"}, "invalid_input"),
        ("/webhook/opt-out", None, "invalid_input"),  # no webhook to opt out of
    ],
)
def test_bad_input_is_a_clear_problem_and_changes_nothing(
    client: TestClient, services: Services, path: str, body: object, code: str
) -> None:
    url = BASE.format("cus_01") + path
    if body is None:
        response = client.post(url, headers=bearer(CUSTOMER))
    else:
        response = client.put(url, headers=bearer(CUSTOMER), json=body)

    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    with services.uow() as uow:
        assert uow.contact_channels.of("cus_01") == []


def test_an_unknown_person_is_404_for_an_admin(client: TestClient) -> None:
    response = client.get(BASE.format("cus_nobody"), headers=bearer(ADMIN))

    assert response.status_code == 404


def test_an_opt_out_after_queuing_skips_the_notification(
    client: TestClient, services: Services
) -> None:
    booking = confirm(client, quote(client), "k-channels").json()
    provider = booking["provider_id"]
    response = client.post(BASE.format(provider) + "/email/opt-out", headers=vendor(provider))
    assert response.status_code == 200, response.text

    (loop,) = [loop for loop in loops(services) if loop.name == "notifications"]
    loop.tick()

    with services.uow() as uow:
        (queued,) = uow.notifications.for_principal(provider)
    assert queued.state is NotificationState.SKIPPED


def test_bkctl_channels_set_list_opt_out_and_in(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(
        capsys,
        services,
        "channels",
        "set",
        "ven_kits_barber",
        "webhook",
        "https://hooks.example.test/b",
        "--as",
        "ops",
    )
    assert status == 0 and "signing secret (shown only now" in out

    status, out, _ = run(capsys, services, "channels", "opt-out", "ven_kits_barber", "email")
    assert status == 0 and "opted out" in out

    status, out, _ = run(capsys, services, "channels", "list", "ven_kits_barber", "--json")
    channels = {c["channel"]: c for c in json.loads(out)["channels"]}
    assert channels["email"]["opted_out"] is True and channels["webhook"]["opted_out"] is False
    assert "whsec_" not in out
    with services.uow() as uow:
        stored = uow.contact_channels.get("ven_kits_barber", Channel.WEBHOOK)
    assert stored is not None and (stored.secret or "").startswith("whsec_")

    status, out, _ = run(capsys, services, "channels", "opt-in", "ven_kits_barber", "email")
    assert status == 0 and " on " in out


def test_bkctl_channels_refuses_bad_input_with_a_non_zero_exit(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(capsys, services, "channels", "set", "cus_01", "email", "nope")
    assert status != 0 and "address" in err
    status, _, err = run(capsys, services, "channels", "list", "cus_nobody")
    assert status != 0 and "no customer or vendor" in err
    with services.uow() as uow:
        assert uow.contact_channels.of("cus_01") == []
