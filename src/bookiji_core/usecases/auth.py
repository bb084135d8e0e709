"""Turn a bearer token into a principal."""

from __future__ import annotations

from datetime import datetime

from bookiji_core.access import Principal, hash_token
from bookiji_core.errors import Unauthenticated
from bookiji_core.ports import UnitOfWork


def authenticate(token: str | None, uow: UnitOfWork, now: datetime | None = None) -> Principal:
    """The token's principal, read from storage on every call (no cache, so a revocation
    by any process holds at the next request). Every edge passes `now`, which enforces
    expiry; without it only revocation is checked."""
    if not token:
        raise Unauthenticated("a bearer token is required (Authorization: Bearer <token>)")
    with uow.read_only():  # every request authenticates: it must not queue behind writers
        grant = uow.principals.grant(hash_token(token))
    if grant is None:
        raise Unauthenticated("the bearer token is not valid")
    return grant.check(now)
