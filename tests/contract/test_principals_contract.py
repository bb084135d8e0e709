"""The Principals repository's contract (tokens with expiry and revocation, admins, the admin
audit), run against memory, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bookiji_adapters.sqlalchemy import SqlAlchemyStorage
from bookiji_core.access import Principal, Role
from bookiji_core.ports import UnitOfWork
from bookiji_core.principals import Admin, AdminAction, PrincipalAction, TokenGrant
from tests.conftest import Storage
from tests.unit.conftest import NOW

T = TypeVar("T")
ALICE = Principal(Role.CUSTOMER, "c1")
BOB = Principal(Role.VENDOR, "v1")
DAYS_90 = timedelta(days=90)


def write(storage: Storage, change: Callable[[UnitOfWork], object]) -> None:
    with storage.unit_of_work() as uow:
        change(uow)
        uow.commit()


def read(storage: Storage, query: Callable[[UnitOfWork], T]) -> T:
    with storage.unit_of_work() as uow:
        return query(uow)


def test_an_issued_grant_reads_back_with_its_times_and_its_principal(storage: Storage) -> None:
    grant = TokenGrant.issue("h1", ALICE, NOW, DAYS_90)
    write(storage, lambda uow: uow.principals.issue(grant))

    assert read(storage, lambda uow: uow.principals.grant("h1")) == grant
    assert read(storage, lambda uow: uow.principals.by_token_hash("h1")) == ALICE
    assert read(storage, lambda uow: uow.principals.grant("h2")) is None
    assert grant.expires_at == NOW + DAYS_90


def test_a_token_added_the_old_way_has_no_issue_or_expiry_time(storage: Storage) -> None:
    write(storage, lambda uow: uow.principals.add("h1", BOB))

    assert read(storage, lambda uow: uow.principals.grant("h1")) == TokenGrant("h1", BOB)


def test_revoking_marks_only_the_live_tokens_of_that_subject(storage: Storage) -> None:
    write(
        storage,
        lambda uow: [
            uow.principals.issue(TokenGrant.issue("a1", ALICE, NOW, DAYS_90)),
            uow.principals.issue(TokenGrant.issue("a2", ALICE, NOW + timedelta(1), DAYS_90)),
            uow.principals.issue(TokenGrant.issue("b1", BOB, NOW, DAYS_90)),
        ],
    )
    later = NOW + timedelta(days=2)
    with storage.unit_of_work() as uow:
        assert uow.principals.revoke("c1", later) == 2
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.principals.revoke("c1", later + timedelta(1)) == 0  # already revoked
        uow.commit()

    grants = read(storage, lambda uow: uow.principals.grants(subject_id="c1"))
    assert [(g.token_hash, g.revoked_at) for g in grants] == [("a1", later), ("a2", later)]
    assert read(storage, lambda uow: uow.principals.grant("b1")).revoked_at is None  # type: ignore[union-attr]


def test_grants_come_in_subject_then_issue_time_order_and_respect_the_limit(
    storage: Storage,
) -> None:
    write(
        storage,
        lambda uow: [
            uow.principals.issue(TokenGrant.issue("v-late", BOB, NOW + timedelta(1), DAYS_90)),
            uow.principals.issue(TokenGrant.issue("c-only", ALICE, NOW, DAYS_90)),
            uow.principals.issue(TokenGrant.issue("v-early", BOB, NOW, DAYS_90)),
            uow.principals.add("v-legacy", BOB),
        ],
    )

    hashes = [g.token_hash for g in read(storage, lambda uow: uow.principals.grants())]
    assert hashes == ["c-only", "v-legacy", "v-early", "v-late"]
    assert len(read(storage, lambda uow: uow.principals.grants(limit=2))) == 2


def test_an_admin_reads_back_as_added(storage: Storage) -> None:
    admin = Admin("adm_1", "Ops Person", "ops@example.test", "+1 604 555 0199")
    write(storage, lambda uow: uow.principals.add_admin(admin))

    assert read(storage, lambda uow: uow.principals.admin("adm_1")) == admin
    assert read(storage, lambda uow: uow.principals.admin("adm_2")) is None


def test_the_admin_audit_keeps_entries_about_or_by_a_person_in_order(storage: Storage) -> None:
    entries = [
        PrincipalAction(NOW, "adm_1", AdminAction.INVITE, "c1", Role.CUSTOMER, "invited"),
        PrincipalAction(NOW, "adm_1", AdminAction.INVITE, "v1", Role.VENDOR, "invited"),
        PrincipalAction(
            NOW + timedelta(1), "adm_2", AdminAction.REVOKE, "c1", Role.CUSTOMER, "left"
        ),
    ]
    write(storage, lambda uow: [uow.principals.record(e) for e in entries])

    assert read(storage, lambda uow: uow.principals.actions("c1")) == [entries[0], entries[2]]
    assert read(storage, lambda uow: uow.principals.actions("adm_1")) == entries[:2]
    assert read(storage, lambda uow: uow.principals.actions("nobody")) == []


def test_a_rolled_back_grant_and_audit_entry_leave_nothing(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        uow.principals.issue(TokenGrant.issue("h1", ALICE, NOW, DAYS_90))
        uow.principals.record(
            PrincipalAction(NOW, "adm_1", AdminAction.INVITE, "c1", Role.CUSTOMER, "x")
        )
        uow.rollback()

    assert read(storage, lambda uow: uow.principals.grant("h1")) is None
    assert read(storage, lambda uow: uow.principals.actions("c1")) == []


@pytest.mark.parametrize(
    "statement",
    ["UPDATE principal_actions SET reason = 'x'", "DELETE FROM principal_actions"],
)
def test_the_database_refuses_to_change_or_remove_admin_audit_rows(
    sql_storage: SqlAlchemyStorage, statement: str
) -> None:
    entry = PrincipalAction(NOW, "adm_1", AdminAction.REVOKE, "c1", Role.CUSTOMER, "left")
    write(sql_storage, lambda uow: uow.principals.record(entry))

    with pytest.raises(DBAPIError, match="append-only"), sql_storage.engine.begin() as conn:
        conn.execute(text(statement))
    assert read(sql_storage, lambda uow: uow.principals.actions("c1")) == [entry]
