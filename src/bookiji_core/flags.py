"""Feature flags: the seed's switches, their defaults, and the guards that keep them safe."""

from __future__ import annotations

import json
from datetime import datetime

import attrs

from bookiji_core.access import Principal, Role
from bookiji_core.errors import DomainError, Forbidden, InvalidInput


class FeatureDisabled(DomainError):
    code = "feature_disabled"


class FlagLocked(DomainError):
    """The flag may not take that value (e.g. `payments.outbox` must stay on)."""

    code = "flag_locked"


@attrs.frozen
class FlagSpec:
    name: str
    default: bool
    description: str
    required_value: bool | None = None  # a value the flag must keep, whoever asks
    admin_only: bool = False  # the feature it gates may only be used by an admin
    takes_message: bool = False  # turning it on needs a message (the text it shows)


SLA_BANNER = "ops.sla_banner"
PUBLIC_DIRECTORY = "beta.public_directory"

FLAGS: dict[str, FlagSpec] = {
    spec.name: spec
    for spec in (
        FlagSpec(
            PUBLIC_DIRECTORY, False, "public vendor directory, GET /api/directory (off for the MVP)"
        ),
        FlagSpec(
            "payments.outbox",
            True,
            "every payment call goes through the transactional outbox; there is no inline path",
            required_value=True,
        ),
        FlagSpec(
            "ops.force_cancel",
            True,
            "admins may force-cancel (roll back) a booking",
            admin_only=True,
        ),
        FlagSpec("maps.force_fallback", False, "serve zones from the fallback map provider"),
        FlagSpec(
            SLA_BANNER,
            False,
            "show the SLA notice on GET /api/status, /status and every quote response",
            takes_message=True,
        ),
    )
}

CONTROL_PREFIX = "flag:"
MAX_MESSAGE_LENGTH = 280


@attrs.frozen
class FlagState:
    """A flag's current value and its last change (who, when, why, and what it was before)."""

    spec: FlagSpec
    on: bool
    changed_at: datetime | None = None
    changed_by: str | None = None
    reason: str | None = None
    previous: bool | None = None
    message: str | None = None  # what a flag that takes one shows while it is on

    def encode(self) -> str:
        return json.dumps(
            {
                "on": self.on,
                "changed_at": self.changed_at.isoformat() if self.changed_at else None,
                "changed_by": self.changed_by,
                "reason": self.reason,
                "previous": self.previous,
                "message": self.message,
            }
        )

    @classmethod
    def decode(cls, spec: FlagSpec, stored: str | None) -> FlagState:
        if stored is None:
            return cls(spec, spec.default)
        raw = json.loads(stored)
        at = raw.get("changed_at")
        return cls(
            spec,
            bool(raw["on"]),
            datetime.fromisoformat(at) if at else None,
            raw.get("changed_by"),
            raw.get("reason"),
            raw.get("previous"),
            raw.get("message"),
        )


def spec_for(name: str) -> FlagSpec:
    try:
        return FLAGS[name]
    except KeyError:
        known = ", ".join(sorted(FLAGS))
        raise InvalidInput("flag", f"unknown flag {name!r}; known flags: {known}") from None


def change(
    state: FlagState,
    on: bool,
    principal: Principal,
    reason: str,
    now: datetime,
    message: str | None = None,
) -> FlagState:
    """An admin sets a flag; a flag with a required value refuses any other. A flag that
    takes a message needs one to be turned on; no other flag takes one."""
    principal.require(Role.ADMIN)
    if not reason.strip():
        raise InvalidInput("reason", "say why the flag changes (it is kept with the flag)")
    message = _message(state.spec, on, message)
    if state.spec.required_value is not None and on != state.spec.required_value:
        wanted = "on" if state.spec.required_value else "off"
        raise FlagLocked(f"{state.spec.name} must stay {wanted}: {state.spec.description}")
    return FlagState(state.spec, on, now, principal.subject_id, reason, state.on, message)


def _message(spec: FlagSpec, on: bool, message: str | None) -> str | None:
    text = (message or "").strip()
    if not spec.takes_message:
        if text:
            raise InvalidInput("message", f"{spec.name} takes no message")
        return None
    if not on:
        return None
    if not text or len(text) > MAX_MESSAGE_LENGTH:
        raise InvalidInput(
            "message", f"{spec.name} needs a message of 1 to {MAX_MESSAGE_LENGTH} characters"
        )
    return text


def guard(state: FlagState, principal: Principal) -> None:
    """Use of the feature a flag gates: it must be on, and admin-only features need an admin."""
    if not state.on:
        raise FeatureDisabled(f"{state.spec.name} is off")
    if state.spec.admin_only and principal.role is not Role.ADMIN:
        raise Forbidden(f"{state.spec.name} is admin-only")
