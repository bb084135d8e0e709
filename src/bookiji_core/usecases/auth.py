"""Turn a bearer token into a principal."""

from __future__ import annotations

from bookiji_core.access import Principal, hash_token
from bookiji_core.errors import Unauthenticated
from bookiji_core.ports import UnitOfWork


def authenticate(token: str | None, uow: UnitOfWork) -> Principal:
    if not token:
        raise Unauthenticated("a bearer token is required (Authorization: Bearer <token>)")
    with uow.read_only():  # every request authenticates: it must not queue behind writers
        principal = uow.principals.by_token_hash(hash_token(token))
    if principal is None:
        raise Unauthenticated("the bearer token is not valid")
    return principal
