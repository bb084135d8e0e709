"""In-memory principals: tokens with their expiry and revocation, admins, the admin audit."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from bookiji_core.access import Principal
from bookiji_core.principals import Admin, PrincipalAction, TokenGrant

_LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)  # grants from before issue times sort first


class _PrincipalState(Protocol):
    # `principals` (token hash -> principal) stays the one place a login exists, so that
    # privacy's revocation and SimCity's purge, which drop entries from it, end a login here.
    principals: dict[str, Principal]
    token_grants: dict[str, TokenGrant]
    admins: dict[str, Admin]
    principal_actions: list[PrincipalAction]


class _HasWorking(Protocol):
    @property
    def working(self) -> _PrincipalState: ...


class InMemoryPrincipals:
    def __init__(self, uow: _HasWorking) -> None:
        self._uow = uow

    @property
    def _s(self) -> _PrincipalState:
        return self._uow.working

    def add(self, token_hash: str, principal: Principal) -> None:
        self._s.principals[token_hash] = principal
        self._s.token_grants.pop(token_hash, None)

    def by_token_hash(self, token_hash: str) -> Principal | None:
        return self._s.principals.get(token_hash)

    def issue(self, grant: TokenGrant) -> None:
        self._s.principals[grant.token_hash] = grant.principal
        self._s.token_grants[grant.token_hash] = grant

    def grant(self, token_hash: str) -> TokenGrant | None:
        principal = self._s.principals.get(token_hash)
        if principal is None:
            return None
        found = self._s.token_grants.get(token_hash)
        if found is None or found.principal != principal:
            return TokenGrant(token_hash, principal)
        return found

    def grants(self, *, subject_id: str | None = None, limit: int = 1000) -> list[TokenGrant]:
        found = [
            g
            for h, p in self._s.principals.items()
            if subject_id is None or p.subject_id == subject_id
            if (g := self.grant(h)) is not None
        ]
        found.sort(key=lambda g: (g.principal.subject_id, g.issued_at or _LONG_AGO))
        return found[:limit]

    def revoke(self, subject_id: str, at: datetime) -> int:
        revoked = 0
        for grant in self.grants(subject_id=subject_id, limit=len(self._s.principals)):
            if grant.revoked_at is None:
                self._s.token_grants[grant.token_hash] = grant.revoke(at)
                revoked += 1
        return revoked

    def add_admin(self, admin: Admin) -> None:
        self._s.admins[admin.id] = admin

    def admin(self, admin_id: str) -> Admin | None:
        return self._s.admins.get(admin_id)

    def record(self, action: PrincipalAction) -> None:
        self._s.principal_actions.append(action)

    def actions(self, subject_id: str) -> list[PrincipalAction]:
        return [a for a in self._s.principal_actions if subject_id in (a.subject_id, a.actor_id)]
