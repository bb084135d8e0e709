"""People who sign in: invitations, the tokens they hold, and the audit of admins' decisions."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import attrs

from bookiji_core.access import Principal, Role
from bookiji_core.catalogue import Customer, Vendor
from bookiji_core.errors import InvalidInput, TokenExpired, TokenRevoked
from bookiji_core.values import CustomerId, Location, Money, VendorId

# Deliberately loose: one "@", something on each side, a dot in the domain. Whether the
# address works is learnt by writing to it, not by a pattern.
# (No `\s`: its meaning differs between regex dialects; the published schema uses this one.)
EMAIL_PATTERN = r"^[^@\x00-\x20\x7f]+@[^@\x00-\x20\x7f]+\.[^@\x00-\x20\x7f]+$"
_EMAIL = re.compile(EMAIL_PATTERN)
PHONE_PATTERN = r"^\+?[0-9][0-9 ()\-.]{3,30}$"
_PHONE = re.compile(PHONE_PATTERN)
MAX_NAME = 200
MAX_EMAIL = 254
MAX_REASON = 500
_LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)


def _name(_inst: object, _attr: object, value: str) -> None:
    if not value.strip() or len(value) > MAX_NAME or not value.isprintable():
        raise InvalidInput("name", f"name must be 1 to {MAX_NAME} printable characters")


def _email(_inst: object, _attr: object, value: str) -> None:
    if len(value) > MAX_EMAIL or not _EMAIL.match(value):
        raise InvalidInput("email", "email must look like name@example.com")


def _phone(_inst: object, _attr: object, value: str) -> None:
    if value and not (value.isascii() and _PHONE.match(value)):
        raise InvalidInput("phone", "phone must be digits, spaces, ()-. and an optional +")


def check_reason(reason: str) -> str:
    """An admin's reason is required and short: it is kept for years in an append-only log."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON or not reason.isprintable():
        raise InvalidInput("reason", f"reason must be 1 to {MAX_REASON} printable characters")
    return reason


@attrs.frozen
class Admin:
    """An operator of the service. Name, email and phone are personal data (staff's)."""

    id: str
    name: str
    email: str
    phone: str


@attrs.frozen
class Invitation:
    """Who an admin invites: a role and how to reach the person."""

    role: Role
    name: str = attrs.field(validator=_name)
    email: str = attrs.field(validator=_email)
    phone: str = attrs.field(default="", validator=_phone)

    @property
    def id_prefix(self) -> str:
        return {Role.CUSTOMER: "cus", Role.VENDOR: "ven", Role.ADMIN: "adm"}[self.role]

    def profile(self, subject_id: str, currency: str) -> Customer | Vendor | Admin:
        """The record the person is created with. A vendor starts with an empty catalogue
        (no services, rate 0, no address, rating 0): no quote can pick it until it has
        services; its location (0, 0) and empty zone are placeholders the catalogue replaces."""
        if self.role is Role.CUSTOMER:
            return Customer(CustomerId(subject_id), self.name, self.email, self.phone)
        if self.role is Role.ADMIN:
            return Admin(subject_id, self.name, self.email, self.phone)
        return Vendor(
            id=VendorId(subject_id),
            name=self.name,
            email=self.email,
            phone=self.phone,
            address="",
            location=Location(0.0, 0.0),
            zone="",
            services=frozenset(),
            hourly_rate=Money(currency, 0),
            rating=0.0,
            response_minutes=0,
        )


class TokenState(enum.StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


@attrs.frozen
class TokenGrant:
    """One bearer token (kept as its hash) and its life. A grant without `expires_at` comes
    from before tokens expired (SimCity's synthetic people, tests) and never expires."""

    token_hash: str
    principal: Principal
    issued_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    @classmethod
    def issue(
        cls, token_hash: str, principal: Principal, now: datetime, ttl: timedelta
    ) -> TokenGrant:
        if ttl <= timedelta(0):
            raise InvalidInput("ttl", "a token's lifetime must be positive")
        return cls(token_hash, principal, now, now + ttl)

    def state(self, now: datetime) -> TokenState:
        if self.revoked_at is not None:
            return TokenState.REVOKED
        if self.expires_at is not None and now >= self.expires_at:
            return TokenState.EXPIRED
        return TokenState.ACTIVE

    def check(self, now: datetime | None) -> Principal:
        """The principal, or TokenRevoked / TokenExpired (both 401)."""
        if self.revoked_at is not None:
            raise TokenRevoked("the bearer token was revoked; ask an admin for a new one")
        if now is not None and self.expires_at is not None and now >= self.expires_at:
            raise TokenExpired("the bearer token has expired; ask an admin to rotate it")
        return self.principal

    def revoke(self, at: datetime) -> TokenGrant:
        return self if self.revoked_at is not None else attrs.evolve(self, revoked_at=at)


class AdminAction(enum.StrEnum):
    INVITE = "invite"
    ROTATE = "rotate"
    REVOKE = "revoke"
    # A dead payment message closed after a person's decision (subject: the message id).
    DLQ_RESOLVE = "dlq_resolve"
    # A change to a vendor's catalogue (subject: the vendor), by the vendor or an admin.
    CATALOGUE = "catalogue"
    # A dead notification queued again after a person fixed its cause (subject: its id).
    NOTIFY_REDRIVE = "notify_redrive"


# The longest reason an audited decision keeps.
MAX_REASON = 500


def audited_reason(reason: str, missing: str) -> str:
    """The reason of an audited decision, trimmed; InvalidInput(`missing`) when there is none,
    or when it is longer than MAX_REASON."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("reason", missing)
    if len(reason) > MAX_REASON:
        raise InvalidInput("reason", f"a reason has at most {MAX_REASON} characters")
    return reason


@attrs.frozen
class PrincipalAction:
    """An audited decision: who, when, what, about whom, why. Most are an admin's about
    someone's access; `dlq_resolve` names a payment message (role: admin, the role it was
    taken in) and `catalogue` a vendor whose catalogue the vendor or an admin changed."""

    at: datetime
    actor_id: str
    action: AdminAction
    subject_id: str
    role: Role
    reason: str


@attrs.frozen
class PrincipalSummary:
    """What `principals list` shows of a person: never a token or its hash, no contact."""

    principal: Principal
    state: TokenState
    tokens: int
    issued_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


def summarise(grants: Iterable[TokenGrant], now: datetime) -> list[PrincipalSummary]:
    """One line per principal, from the newest of its grants, in subject id order."""
    newest: dict[Principal, TokenGrant] = {}
    counts: dict[Principal, int] = {}
    for g in grants:
        counts[g.principal] = counts.get(g.principal, 0) + 1
        held = newest.get(g.principal)
        if held is None or _recency(g) >= _recency(held):
            newest[g.principal] = g
    found = [
        PrincipalSummary(p, g.state(now), counts[p], g.issued_at, g.expires_at, g.revoked_at)
        for p, g in newest.items()
    ]
    return sorted(found, key=lambda s: (s.principal.subject_id, s.principal.role.value))


def _recency(grant: TokenGrant) -> tuple[datetime, bool]:
    # A grant from before issue times counts as oldest; of two issued at the same instant (a
    # rotation), the live one is the newer.
    return grant.issued_at or _LONG_AGO, grant.revoked_at is None
