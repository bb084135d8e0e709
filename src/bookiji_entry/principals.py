"""What the principals' HTTP route and bkctl command share: new tokens, policy, rendering."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from bookiji_core.access import Role
from bookiji_core.errors import InvalidInput
from bookiji_core.principals import Invitation, PrincipalSummary
from bookiji_core.usecases.principals import Issued
from bookiji_core.usecases.privacy_records import iso

ROLES = tuple(r.value for r in Role)


def new_token() -> str:
    """256 random bits, URL-safe; shown once, stored only as its SHA-256."""
    return f"bkj_{secrets.token_urlsafe(32)}"


def invitation(values: Mapping[str, Any]) -> Invitation:
    """`{role, name, email, phone?}` from a JSON body or the command's flags."""
    fields = {}
    for name, required in (("role", True), ("name", True), ("email", True), ("phone", False)):
        value = values.get(name)
        if value is None and not required:
            value = ""
        if not isinstance(value, str):
            raise InvalidInput(name, f"{name} is required and must be a string")
        fields[name] = value
    if fields["role"] not in ROLES:
        raise InvalidInput("role", f"role must be one of {', '.join(ROLES)}")
    return Invitation(Role(fields["role"]), fields["name"], fields["email"], fields["phone"])


def render_issued(issued: Issued) -> dict[str, Any]:
    return {
        "subject_id": issued.principal.subject_id,
        "role": issued.principal.role.value,
        "token": issued.token,
        "expires_at": iso(issued.expires_at),
    }


def render_summary(summary: PrincipalSummary) -> dict[str, Any]:
    return {
        "subject_id": summary.principal.subject_id,
        "role": summary.principal.role.value,
        "state": summary.state.value,
        "tokens": summary.tokens,
        "issued_at": iso(summary.issued_at),
        "expires_at": iso(summary.expires_at),
        "revoked_at": iso(summary.revoked_at),
    }
