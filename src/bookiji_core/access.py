"""Who is asking (principals and roles) and the immutable log of reads of personal data."""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime

import attrs

from bookiji_core.booking import Actor, ActorType
from bookiji_core.errors import Forbidden


class Role(enum.StrEnum):
    CUSTOMER = "customer"
    VENDOR = "vendor"
    ADMIN = "admin"


@attrs.frozen
class Principal:
    """An authenticated caller: a role and the subject (customer, vendor or admin) id."""

    role: Role
    subject_id: str

    @property
    def actor(self) -> Actor:
        return Actor(ActorType(self.role.value), self.subject_id)

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"this operation needs the role {allowed}; you are {self.role}")


def hash_token(token: str) -> str:
    """Tokens are stored only as their SHA-256; a leaked table does not leak tokens."""
    return hashlib.sha256(token.encode()).hexdigest()


@attrs.frozen
class AccessLogEntry:
    """A record that `actor_id` touched `subject_id`'s personal data, and why. Never changed."""

    subject_id: str
    actor_id: str
    purpose: str
    resource: str
    at: datetime
