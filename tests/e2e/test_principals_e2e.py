"""Principals through the edges: the admin-only HTTP route, bkctl principals, BOOKIJI_TOKEN,
the privacy export of an invited person, and the demo seed's tokens."""

from __future__ import annotations

import getpass
import json
from typing import Any

import attrs
import pytest
from starlette.testclient import TestClient

from bookiji_adapters.memory import InMemoryStorage
from bookiji_core.usecases import authenticate
from bookiji_entry.bootstrap import Services
from bookiji_entry.cli import main
from bookiji_entry.seed import seed_demo

from .conftest import ADMIN, CUSTOMER, NOW, bearer

INVITE = {"role": "customer", "name": "Robin Test", "email": "robin@example.test"}


def invited(client: TestClient, **changes: Any) -> dict[str, Any]:
    response = client.post("/api/principals", headers=bearer(ADMIN), json=INVITE | changes)
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    return body


def test_an_admin_invites_over_http_and_the_token_works_at_once(
    client: TestClient, conforms: Any
) -> None:
    body = invited(client)

    conforms("Issued", body)
    assert client.get("/api/bookings", headers=bearer(body["token"])).status_code == 200
    listed = client.get("/api/principals", headers=bearer(ADMIN)).json()
    conforms("PrincipalList", listed)
    mine = [p for p in listed["principals"] if p["subject_id"] == body["subject_id"]]
    assert [(p["role"], p["state"]) for p in mine] == [("customer", "active")]
    assert body["token"] not in json.dumps(listed)


def test_only_an_admin_may_invite_and_bad_input_changes_nothing(client: TestClient) -> None:
    before = client.get("/api/principals", headers=bearer(ADMIN)).json()

    refused = client.post("/api/principals", headers=bearer(CUSTOMER), json=INVITE)
    bad_role = client.post("/api/principals", headers=bearer(ADMIN), json=INVITE | {"role": "x"})
    bad_email = client.post("/api/principals", headers=bearer(ADMIN), json=INVITE | {"email": 1})
    no_body = client.post("/api/principals", headers=bearer(ADMIN))

    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert (bad_role.status_code, bad_role.json()["field"]) == (422, "role")
    assert (bad_email.status_code, bad_email.json()["field"]) == (422, "email")
    assert (no_body.status_code, no_body.json()["code"]) == (400, "malformed_json")
    assert client.get("/api/principals", headers=bearer(ADMIN)).json() == before


def test_a_rotated_token_gets_token_revoked_and_a_revoked_person_too(
    client: TestClient, conforms: Any
) -> None:
    body = invited(client)
    subject = body["subject_id"]

    rotated = client.post(f"/api/principals/{subject}/rotate", headers=bearer(ADMIN))
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["token"]
    old = client.get("/api/bookings", headers=bearer(body["token"]))
    assert (old.status_code, old.json()["code"]) == (401, "token_revoked")
    assert client.get("/api/bookings", headers=bearer(new)).status_code == 200

    no_reason = client.post(f"/api/principals/{subject}/revoke", headers=bearer(ADMIN), json={})
    assert (no_reason.status_code, no_reason.json()["field"]) == (422, "reason")
    revoked = client.post(
        f"/api/principals/{subject}/revoke", headers=bearer(ADMIN), json={"reason": "left"}
    )
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    conforms("Principal", revoked.json())
    after = client.get("/api/bookings", headers=bearer(new))
    assert (after.status_code, after.json()["code"]) == (401, "token_revoked")
    again = client.post(f"/api/principals/{subject}/rotate", headers=bearer(ADMIN))
    assert again.status_code == 409
    unknown = client.post("/api/principals/cus_nobody/rotate", headers=bearer(ADMIN))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "principal_not_found")


def test_an_invited_customer_is_in_the_privacy_export_with_the_admin_audit(
    client: TestClient,
) -> None:
    body = invited(client, phone="+1 604 555 0142")
    subject = body["subject_id"]
    client.post(f"/api/principals/{subject}/rotate", headers=bearer(ADMIN), json={"reason": "x"})

    export = client.get(f"/api/privacy/subjects/{subject}/export", headers=bearer(ADMIN)).json()

    assert export["profile"]["email"] == "robin@example.test"
    assert export["profile"]["phone"] == "+1 604 555 0142"
    assert [a["action"] for a in export["principal_actions"]] == ["invite", "rotate"]
    assert {a["actor_id"] for a in export["principal_actions"]} == {"adm_ops"}


def run(capsys: pytest.CaptureFixture[str], services: Services, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv), services=services)
    out, err = capsys.readouterr()
    return status, out, err


def test_bkctl_invites_lists_rotates_and_revokes(
    capsys: pytest.CaptureFixture[str], services: Services
) -> None:
    status, out, _ = run(
        capsys, services, "principals", "invite", "--role", "vendor", "--name", "Pat Barber",
        "--email", "pat@example.test", "--as", "alex", "--json",
    )  # fmt: skip
    assert status == 0
    issued = json.loads(out)
    subject, token = issued["subject_id"], issued["token"]
    assert subject.startswith("ven_") and token.startswith("bkj_")

    status, out, _ = run(capsys, services, "principals", "list", "--json")
    assert status == 0 and token not in out
    listed = {p["subject_id"]: p for p in json.loads(out)["principals"]}
    assert listed[subject]["state"] == "active" and "cus_01" in listed

    status, out, _ = run(capsys, services, "principals", "rotate", subject)
    assert status == 0
    new_token = out.rsplit(": ", 1)[1].strip()
    assert new_token.startswith("bkj_") and new_token != token

    status, _, err = run(capsys, services, "bookings", "list", "--token", token)
    assert (status, "token_revoked" in err) == (3, True)
    status, _, _ = run(capsys, services, "bookings", "list", "--token", new_token)
    assert status == 0

    status, out, _ = run(capsys, services, "principals", "revoke", subject, "--reason", "test")
    assert status == 0 and "revoked" in out
    status, _, err = run(capsys, services, "bookings", "list", "--token", new_token)
    assert (status, "token_revoked" in err) == (3, True)
    with services.uow() as uow:
        actors = {a.actor_id for a in uow.principals.actions(subject)}
    assert actors == {"cli:alex", f"cli:{_login()}"}


def _login() -> str:
    return getpass.getuser() or "operator"


def test_a_command_that_needs_a_token_reads_bookiji_token(
    capsys: pytest.CaptureFixture[str], services: Services
) -> None:
    with_env = attrs.evolve(services, settings=attrs.evolve(services.settings, token=CUSTOMER))

    assert run(capsys, with_env, "bookings", "list")[0] == 0
    status, _, err = run(capsys, services, "bookings", "list")
    assert status == 3 and "BOOKIJI_TOKEN" in err


def test_bad_invite_flags_are_one_line_and_change_nothing(
    capsys: pytest.CaptureFixture[str], services: Services
) -> None:
    status, _, err = run(
        capsys, services, "principals", "invite", "--role", "customer", "--name", "A",
        "--email", "nope",
    )  # fmt: skip
    assert status == 2 and err.count("\n") == 1 and "email" in err
    status, _, err = run(capsys, services, "principals", "revoke", "cus_nobody", "--reason", "x")
    assert status == 4 and "principal_not_found" in err


def test_the_demo_seed_issues_expiring_tokens_through_the_invite_operation(
    services: Services,
) -> None:
    with services.uow() as uow:
        grant = uow.principals.grants(subject_id="cus_01")[0]
        audit = uow.principals.actions("adm_ops")
        admin = uow.principals.admin("adm_ops")
    assert grant.expires_at is not None and grant.issued_at is not None
    assert grant.expires_at - grant.issued_at == services.settings.token_ttl
    assert admin is not None and admin.email == "ops@example.com"
    assert audit and audit[0].actor_id == "seed:demo"


def test_every_random_token_the_demo_seed_prints_signs_in_as_its_principal() -> None:
    storage = InMemoryStorage()
    issued = seed_demo(storage.unit_of_work(), NOW, fixed_tokens=False)

    for t in issued:
        assert authenticate(t.token, storage.unit_of_work(), NOW).subject_id == t.subject_id
