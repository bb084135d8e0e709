"""The principals port: who may sign in, with which token, and the admins' audit of it."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bookiji_core.access import Principal
from bookiji_core.principals import Admin, PrincipalAction, TokenGrant


class Principals(Protocol):
    def add(self, token_hash: str, principal: Principal) -> None:
        """Add or replace a token that never expires (SimCity's synthetic people, tests)."""
        ...

    def by_token_hash(self, token_hash: str) -> Principal | None: ...

    def issue(self, grant: TokenGrant) -> None:
        """Add a token with its issue and expiry times."""
        ...

    def grant(self, token_hash: str) -> TokenGrant | None:
        """The token's grant, revoked or expired ones included, or None if unknown."""
        ...

    def grants(self, *, subject_id: str | None = None, limit: int = 1000) -> list[TokenGrant]:
        """Grants (of one subject, or all) in subject id, then issue time order."""
        ...

    def revoke(self, subject_id: str, at: datetime) -> int:
        """Mark every live token of the subject revoked at `at`; returns how many."""
        ...

    def add_admin(self, admin: Admin) -> None: ...

    def admin(self, admin_id: str) -> Admin | None: ...

    def record(self, action: PrincipalAction) -> None:
        """Append to the admin audit; nothing changes or removes an entry."""
        ...

    def actions(self, subject_id: str) -> list[PrincipalAction]:
        """The audit entries about the subject or made by them, oldest first."""
        ...
