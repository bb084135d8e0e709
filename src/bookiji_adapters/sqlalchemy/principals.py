"""Principals as SQL rows: hashed tokens with expiry and revocation, admins, the admin audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, or_, select, update

from bookiji_adapters.sqlalchemy.base import SqlAlchemyRepository, upsert
from bookiji_adapters.sqlalchemy.tables import admins, principal_actions, principals
from bookiji_core.access import Principal, Role
from bookiji_core.principals import Admin, AdminAction, PrincipalAction, TokenGrant

_p = principals.c
_GRANT_COLUMNS = (_p.token_hash, _p.role, _p.subject_id, _p.issued_at, _p.expires_at, _p.revoked_at)
# Every request authenticates: the statement is built once.
_BY_TOKEN_HASH = select(*_GRANT_COLUMNS).where(_p.token_hash == bindparam("token_hash"))
_a = principal_actions.c
_ACTION_COLUMNS = (_a.at, _a.actor_id, _a.action, _a.subject_id, _a.role, _a.reason)


def _grant(row: Any) -> TokenGrant:
    principal = Principal(Role(row.role), row.subject_id)
    return TokenGrant(row.token_hash, principal, row.issued_at, row.expires_at, row.revoked_at)


class SqlAlchemyPrincipals(SqlAlchemyRepository):
    def add(self, token_hash: str, principal: Principal) -> None:
        self.issue(TokenGrant(token_hash, principal))

    def by_token_hash(self, token_hash: str) -> Principal | None:
        found = self.grant(token_hash)
        return None if found is None else found.principal

    def issue(self, grant: TokenGrant) -> None:
        row = {
            "token_hash": grant.token_hash,
            "role": grant.principal.role.value,
            "subject_id": grant.principal.subject_id,
            "issued_at": grant.issued_at,
            "expires_at": grant.expires_at,
            "revoked_at": grant.revoked_at,
        }
        upsert(self._conn, principals, row, ["token_hash"])

    def grant(self, token_hash: str) -> TokenGrant | None:
        row = self._conn.execute(_BY_TOKEN_HASH, {"token_hash": token_hash}).first()
        return None if row is None else _grant(row)

    def grants(self, *, subject_id: str | None = None, limit: int = 1000) -> list[TokenGrant]:
        stmt = select(*_GRANT_COLUMNS)
        if subject_id is not None:
            stmt = stmt.where(_p.subject_id == subject_id)
        # NULL issue times (tokens from before 0006) first, as on both databases' defaults.
        stmt = stmt.order_by(_p.subject_id, _p.issued_at.is_not(None), _p.issued_at).limit(limit)
        return [_grant(row) for row in self._conn.execute(stmt)]

    def revoke(self, subject_id: str, at: datetime) -> int:
        stmt = (
            update(principals)
            .where(_p.subject_id == subject_id, _p.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return int(self._conn.execute(stmt).rowcount)

    def add_admin(self, admin: Admin) -> None:
        row = {"id": admin.id, "name": admin.name, "email": admin.email, "phone": admin.phone}
        upsert(self._conn, admins, row, ["id"])

    def admin(self, admin_id: str) -> Admin | None:
        c = admins.c
        stmt = select(c.id, c.name, c.email, c.phone).where(c.id == admin_id)
        row = self._conn.execute(stmt).first()
        return None if row is None else Admin(*row)

    def record(self, action: PrincipalAction) -> None:
        row = {
            "at": action.at,
            "actor_id": action.actor_id,
            "action": action.action.value,
            "subject_id": action.subject_id,
            "role": action.role.value,
            "reason": action.reason,
        }
        self._chained("principal_actions", row)

    def actions(self, subject_id: str) -> list[PrincipalAction]:
        stmt = (
            select(*_ACTION_COLUMNS)
            .where(or_(_a.subject_id == subject_id, _a.actor_id == subject_id))
            .order_by(_a.id)
        )
        return [
            PrincipalAction(
                r.at, r.actor_id, AdminAction(r.action), r.subject_id, Role(r.role), r.reason
            )
            for r in self._history_of("principal_actions").execute(stmt)
        ]
