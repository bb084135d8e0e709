"""Inviting people and managing their tokens: the use cases over the in-memory storage."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bookiji_adapters.memory import InMemoryStorage, ManualClock, SequentialIds
from bookiji_core.access import Principal, Role
from bookiji_core.errors import (
    Forbidden,
    IllegalTransition,
    InvalidInput,
    PrincipalNotFound,
    TokenExpired,
    TokenRevoked,
    Unauthenticated,
)
from bookiji_core.principals import AdminAction, Invitation, TokenState
from bookiji_core.usecases import authenticate
from bookiji_core.usecases.principals import (
    TokenPolicy,
    invite,
    list_principals,
    revoke,
    rotate,
)
from tests.unit.conftest import NOW

ADMIN = Principal(Role.ADMIN, "adm_root")
POLICY = TokenPolicy(timedelta(days=90), "CAD")
TOKEN = "bkj_first-token-0123456789"
NEW_TOKEN = "bkj_second-token-0123456789"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def storage() -> InMemoryStorage:
    return InMemoryStorage()


def _invite(storage: InMemoryStorage, clock: ManualClock, role: Role = Role.VENDOR) -> str:
    person = Invitation(role, "Sam Vendor", "sam@example.test", "+1 604 555 0101")
    issued = invite(person, ADMIN, TOKEN, POLICY, storage.unit_of_work(), clock, SequentialIds())
    return issued.principal.subject_id


def test_an_invited_vendor_signs_in_and_has_an_empty_catalogue(
    storage: InMemoryStorage, clock: ManualClock
) -> None:
    vendor_id = _invite(storage, clock)

    assert authenticate(TOKEN, storage.unit_of_work(), clock.now()) == Principal(
        Role.VENDOR, vendor_id
    )
    with storage.unit_of_work() as uow:
        vendor = uow.vendors.get(vendor_id)  # type: ignore[arg-type]
        assert vendor is not None and vendor.email == "sam@example.test"
        assert vendor.services == frozenset() and vendor.hourly_rate.amount == 0
        assert uow.vendors.offering("haircut", 0.0) == []  # no quote can pick it


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.ADMIN])
def test_an_invited_customer_or_admin_gets_a_record_with_their_contact(
    storage: InMemoryStorage, clock: ManualClock, role: Role
) -> None:
    subject_id = _invite(storage, clock, role)

    with storage.unit_of_work() as uow:
        record = (
            uow.customers.get(subject_id)  # type: ignore[arg-type]
            if role is Role.CUSTOMER
            else uow.principals.admin(subject_id)
        )
        assert record is not None and record.email == "sam@example.test"
        assert record.phone == "+1 604 555 0101"


def test_a_token_stops_working_when_it_expires(
    storage: InMemoryStorage, clock: ManualClock
) -> None:
    _invite(storage, clock)
    clock.advance(timedelta(days=90) - timedelta(seconds=1))
    authenticate(TOKEN, storage.unit_of_work(), clock.now())

    clock.advance(timedelta(seconds=1))
    with pytest.raises(TokenExpired):
        authenticate(TOKEN, storage.unit_of_work(), clock.now())
    assert list_principals(ADMIN, storage.unit_of_work(), clock)[0].state is TokenState.EXPIRED


def test_rotating_gives_a_new_token_and_the_old_one_is_refused(
    storage: InMemoryStorage, clock: ManualClock
) -> None:
    vendor_id = _invite(storage, clock)
    clock.advance(timedelta(days=100))  # an expired token can be rotated: that is renewal

    issued = rotate(vendor_id, ADMIN, NEW_TOKEN, POLICY, storage.unit_of_work(), clock)

    assert issued.expires_at == clock.now() + timedelta(days=90)
    assert authenticate(NEW_TOKEN, storage.unit_of_work(), clock.now()).subject_id == vendor_id
    with pytest.raises(TokenRevoked):
        authenticate(TOKEN, storage.unit_of_work(), clock.now())


def test_a_revoked_person_is_refused_and_cannot_be_rotated_back(
    storage: InMemoryStorage, clock: ManualClock
) -> None:
    vendor_id = _invite(storage, clock)

    summary = revoke(vendor_id, ADMIN, "left the pilot", storage.unit_of_work(), clock)

    assert summary.state is TokenState.REVOKED and summary.revoked_at == NOW
    with pytest.raises(TokenRevoked) as refused:
        authenticate(TOKEN, storage.unit_of_work(), clock.now())
    assert refused.value.code == "token_revoked"
    with pytest.raises(IllegalTransition):
        rotate(vendor_id, ADMIN, NEW_TOKEN, POLICY, storage.unit_of_work(), clock)
    with pytest.raises(Unauthenticated):
        authenticate(NEW_TOKEN, storage.unit_of_work(), clock.now())


def test_every_admin_decision_is_audited_with_who_when_what_and_why(
    storage: InMemoryStorage, clock: ManualClock
) -> None:
    vendor_id = _invite(storage, clock)
    clock.advance(timedelta(minutes=5))
    rotate(vendor_id, ADMIN, NEW_TOKEN, POLICY, storage.unit_of_work(), clock, "lost laptop")
    clock.advance(timedelta(minutes=5))
    revoke(vendor_id, ADMIN, "left the pilot", storage.unit_of_work(), clock)

    with storage.unit_of_work() as uow:
        actions = uow.principals.actions(vendor_id)
    assert [(a.action, a.actor_id, a.reason) for a in actions] == [
        (AdminAction.INVITE, "adm_root", "invited as vendor"),
        (AdminAction.ROTATE, "adm_root", "lost laptop"),
        (AdminAction.REVOKE, "adm_root", "left the pilot"),
    ]
    assert [a.at for a in actions] == [NOW, NOW + timedelta(minutes=5), NOW + timedelta(minutes=10)]


def test_only_an_admin_invites_lists_rotates_or_revokes(
    storage: InMemoryStorage, clock: ManualClock
) -> None:
    vendor_id = _invite(storage, clock)
    vendor = Principal(Role.VENDOR, vendor_id)
    person = Invitation(Role.ADMIN, "Mallory", "m@example.test")

    with pytest.raises(Forbidden):
        invite(person, vendor, NEW_TOKEN, POLICY, storage.unit_of_work(), clock, SequentialIds())
    with pytest.raises(Forbidden):
        list_principals(vendor, storage.unit_of_work(), clock)
    with pytest.raises(Forbidden):
        rotate(vendor_id, vendor, NEW_TOKEN, POLICY, storage.unit_of_work(), clock)
    with pytest.raises(Forbidden):
        revoke(vendor_id, vendor, "because", storage.unit_of_work(), clock)
    assert len(list_principals(ADMIN, storage.unit_of_work(), clock)) == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": " "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"phone": "+1 ٦٠٤ 555"}, "phone"),  # digits, but not ASCII ones
    ],
)
def test_an_invitation_with_bad_contact_is_refused_naming_the_field(
    fields: dict[str, str], field: str
) -> None:
    values = {"name": "Sam", "email": "sam@example.test", "phone": ""} | fields
    with pytest.raises(InvalidInput) as refused:
        Invitation(Role.CUSTOMER, **values)
    assert refused.value.field == field


def test_a_revocation_needs_a_reason_and_an_unknown_person_is_not_found(
    storage: InMemoryStorage, clock: ManualClock
) -> None:
    vendor_id = _invite(storage, clock)

    with pytest.raises(InvalidInput):
        revoke(vendor_id, ADMIN, "  ", storage.unit_of_work(), clock)
    with pytest.raises(PrincipalNotFound):
        revoke("ven_nobody", ADMIN, "typo", storage.unit_of_work(), clock)
    authenticate(TOKEN, storage.unit_of_work(), clock.now())  # still works


def test_the_list_shows_no_token_or_hash(storage: InMemoryStorage, clock: ManualClock) -> None:
    vendor_id = _invite(storage, clock)

    [summary] = list_principals(ADMIN, storage.unit_of_work(), clock)

    assert (summary.principal.subject_id, summary.state, summary.tokens) == (
        vendor_id,
        TokenState.ACTIVE,
        1,
    )
    assert TOKEN not in repr(summary) and "token_hash" not in repr(summary)
