"""Admins invite people, and list, rotate and revoke their tokens; each decision is audited."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from bookiji_core.access import Principal, Role, hash_token
from bookiji_core.catalogue import Customer
from bookiji_core.errors import IllegalTransition, PrincipalNotFound
from bookiji_core.ports import Clock, Ids, UnitOfWork
from bookiji_core.principals import (
    Admin,
    AdminAction,
    Invitation,
    PrincipalAction,
    PrincipalSummary,
    TokenGrant,
    TokenState,
    check_reason,
    summarise,
)


@attrs.frozen
class Issued:
    """A token as handed over once: the caller shows it, storage keeps only its hash."""

    principal: Principal
    token: str
    expires_at: datetime


@attrs.frozen
class TokenPolicy:
    """How long a token lives, and the currency a new vendor's (empty) rate is in."""

    ttl: timedelta
    currency: str


def enrol(
    uow: UnitOfWork,
    invitation: Invitation,
    *,
    subject_id: str,
    token: str,
    policy: TokenPolicy,
    actor_id: str,
    now: datetime,
) -> Issued:
    """Inside the caller's transaction: create the person, grant the token, audit it."""
    if uow.principals.grants(subject_id=subject_id, limit=1):
        raise IllegalTransition(f"{subject_id} already has a login")
    profile = invitation.profile(subject_id, policy.currency)
    if isinstance(profile, Admin):
        uow.principals.add_admin(profile)
    elif isinstance(profile, Customer):
        uow.customers.add(profile)
    else:
        uow.vendors.add(profile)
    principal = Principal(invitation.role, subject_id)
    grant = TokenGrant.issue(hash_token(token), principal, now, policy.ttl)
    uow.principals.issue(grant)
    reason = f"invited as {invitation.role.value}"
    _audit(uow, now, actor_id, AdminAction.INVITE, principal, reason)
    assert grant.expires_at is not None
    return Issued(principal, token, grant.expires_at)


def invite(
    invitation: Invitation,
    by: Principal,
    token: str,
    policy: TokenPolicy,
    uow: UnitOfWork,
    clock: Clock,
    ids: Ids,
) -> Issued:
    """An admin creates a customer, a vendor (empty catalogue) or an admin with a token."""
    by.require(Role.ADMIN)
    subject_id = ids.new(invitation.id_prefix)
    with uow:
        issued = enrol(
            uow,
            invitation,
            subject_id=subject_id,
            token=token,
            policy=policy,
            actor_id=by.subject_id,
            now=clock.now(),
        )
        uow.commit()
    return issued


def rotate(
    subject_id: str,
    by: Principal,
    token: str,
    policy: TokenPolicy,
    uow: UnitOfWork,
    clock: Clock,
    reason: str = "rotated",
) -> Issued:
    """A new token for the person; every token they held stops working in the same commit.
    A revoked person stays revoked: rotating does not undo an admin's revocation."""
    by.require(Role.ADMIN)
    reason = check_reason(reason)
    now = clock.now()
    with uow:
        principal = _current(uow, subject_id, now, refuse_revoked=True)
        uow.principals.revoke(subject_id, now)
        grant = TokenGrant.issue(hash_token(token), principal, now, policy.ttl)
        uow.principals.issue(grant)
        _audit(uow, now, by.subject_id, AdminAction.ROTATE, principal, reason)
        uow.commit()
    assert grant.expires_at is not None
    return Issued(principal, token, grant.expires_at)


def revoke(
    subject_id: str, by: Principal, reason: str, uow: UnitOfWork, clock: Clock
) -> PrincipalSummary:
    """Every token of the person stops working at once, in every process."""
    by.require(Role.ADMIN)
    reason = check_reason(reason)
    now = clock.now()
    with uow:
        principal = _current(uow, subject_id, now, refuse_revoked=False)
        uow.principals.revoke(subject_id, now)
        _audit(uow, now, by.subject_id, AdminAction.REVOKE, principal, reason)
        uow.commit()
        return summarise(uow.principals.grants(subject_id=subject_id), now)[0]


def list_principals(
    by: Principal, uow: UnitOfWork, clock: Clock, limit: int = 1000
) -> list[PrincipalSummary]:
    by.require(Role.ADMIN)
    with uow.read_only():
        return summarise(uow.principals.grants(limit=limit), clock.now())


def _current(uow: UnitOfWork, subject_id: str, now: datetime, *, refuse_revoked: bool) -> Principal:
    found = summarise(uow.principals.grants(subject_id=subject_id), now)
    if not found:
        raise PrincipalNotFound(f"no principal {subject_id!r}")
    summary = found[0]
    # A rotation issues a new grant after revoking the old ones, so a newest grant that is
    # revoked means an admin revoked the person.
    if refuse_revoked and summary.state is TokenState.REVOKED:
        raise IllegalTransition(f"{subject_id} was revoked; invite the person again")
    return summary.principal


def _audit(
    uow: UnitOfWork,
    now: datetime,
    actor_id: str,
    action: AdminAction,
    principal: Principal,
    reason: str,
) -> None:
    entry = PrincipalAction(now, actor_id, action, principal.subject_id, principal.role, reason)
    uow.principals.record(entry)
