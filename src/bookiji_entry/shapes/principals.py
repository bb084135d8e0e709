"""Principals: inviting a person, their token (shown once), and their tokens' state."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from bookiji_core.access import Role
from bookiji_core.principals import (
    EMAIL_PATTERN,
    MAX_EMAIL,
    MAX_NAME,
    PHONE_PATTERN,
    PrincipalSummary,
    TokenState,
)
from bookiji_core.usecases.principals import Issued as DomainIssued
from bookiji_entry.shapes.bookings import Reason
from bookiji_entry.shapes.common import NO_NUL, Id, Timestamp, utc, utc_or_none

Name = Annotated[str, Meta(min_length=1, max_length=MAX_NAME, pattern=NO_NUL)]
Email = Annotated[str, Meta(max_length=MAX_EMAIL, pattern=EMAIL_PATTERN)]
Phone = Annotated[str, Meta(max_length=32, pattern=f"^$|{PHONE_PATTERN}")]
SubjectId = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=64,
        pattern=NO_NUL,
        description="A principal's subject id (cus_..., ven_..., adm_...)",
    ),
]


class Invitation(msgspec.Struct):
    """A new customer, vendor (with an empty catalogue) or admin."""

    role: Role
    name: Name
    email: Email
    phone: Phone = ""


class RotateRequest(msgspec.Struct):
    reason: Reason = "rotated"


class RevokeRequest(msgspec.Struct):
    reason: Reason


class Issued(msgspec.Struct):
    """A token, shown only in this answer; stored only hashed."""

    subject_id: Id
    role: Role
    token: Annotated[str, Meta(description="Shown once; stored only hashed")]
    expires_at: Timestamp

    @classmethod
    def of(cls, issued: DomainIssued) -> Issued:
        p = issued.principal
        return cls(p.subject_id, p.role, issued.token, utc(issued.expires_at))


class Principal(msgspec.Struct):
    """A person and the state of their newest token (never a token)."""

    subject_id: Id
    role: Role
    state: TokenState
    tokens: Annotated[int, Meta(ge=1)]
    issued_at: Timestamp | None
    expires_at: Timestamp | None
    revoked_at: Timestamp | None

    @classmethod
    def of(cls, s: PrincipalSummary) -> Principal:
        return cls(
            s.principal.subject_id,
            s.principal.role,
            s.state,
            s.tokens,
            utc_or_none(s.issued_at),
            utc_or_none(s.expires_at),
            utc_or_none(s.revoked_at),
        )


class PrincipalList(msgspec.Struct):
    principals: list[Principal]
