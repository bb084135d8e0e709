"""What the principals' HTTP route and bkctl command share: new tokens, the invitation and
the rendering (both through the shapes of bookiji_entry.shapes.principals)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from bookiji_core.access import Role
from bookiji_core.principals import Invitation, PrincipalSummary
from bookiji_core.usecases.principals import Issued
from bookiji_entry.inputs import shape_of
from bookiji_entry.shapes import codec
from bookiji_entry.shapes import principals as shapes

ROLES = tuple(r.value for r in Role)


def new_token() -> str:
    """256 random bits, URL-safe; shown once, stored only as its SHA-256."""
    return f"bkj_{secrets.token_urlsafe(32)}"


def invitation(shape: shapes.Invitation) -> Invitation:
    return Invitation(shape.role, shape.name, shape.email, shape.phone)


def invitation_of(values: Mapping[str, Any]) -> Invitation:
    """`{role, name, email, phone?}` from the command's flags."""
    return invitation(shape_of(values, shapes.Invitation))


def render_issued(issued: Issued) -> dict[str, Any]:
    found: dict[str, Any] = codec.plain(shapes.Issued.of(issued))
    return found


def render_summary(summary: PrincipalSummary) -> dict[str, Any]:
    found: dict[str, Any] = codec.plain(shapes.Principal.of(summary))
    return found
