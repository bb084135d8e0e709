"""Read and change feature flags; they live in storage so that every process sees one value."""

from __future__ import annotations

from bookiji_core.access import Principal
from bookiji_core.errors import IllegalTransition
from bookiji_core.flags import CONTROL_PREFIX, FLAGS, SLA_BANNER, FlagState, change, spec_for
from bookiji_core.ports import Clock, UnitOfWork


def flag_state(uow: UnitOfWork, name: str) -> FlagState:
    """Within the caller's transaction."""
    spec = spec_for(name)
    return FlagState.decode(spec, uow.controls.get(CONTROL_PREFIX + spec.name))


def list_flags(uow: UnitOfWork) -> list[FlagState]:
    with uow:
        return [flag_state(uow, name) for name in sorted(FLAGS)]


def set_flag(
    name: str,
    on: bool,
    principal: Principal,
    reason: str,
    uow: UnitOfWork,
    clock: Clock,
    message: str | None = None,
) -> FlagState:
    now = clock.now()
    with uow:
        changed = change(flag_state(uow, name), on, principal, reason, now, message)
        uow.controls.set(CONTROL_PREFIX + changed.spec.name, changed.encode(), now)
        uow.commit()
    return changed


def revert_last_change(
    principal: Principal, reason: str, uow: UnitOfWork, clock: Clock
) -> FlagState:
    """Runbook Incident-004: put the most recently changed flag back as it was."""
    changed = [
        (s.changed_at, s.spec.name, s.previous)
        for s in list_flags(uow)
        if s.changed_at is not None and s.previous is not None
    ]
    if not changed:
        raise IllegalTransition("no flag has been changed yet")
    _, name, previous = max(changed)
    if previous and FLAGS[name].takes_message:
        raise IllegalTransition(
            f"the last change turned {name} off; turn it on again with its message "
            f"(bkctl flags set {name} on --message ...)"
        )
    return set_flag(name, previous, principal, reason, uow, clock)


def sla_notice(uow: UnitOfWork) -> str | None:
    """The SLA banner's message while `ops.sla_banner` is on, else None."""
    with uow.read_only():
        state = flag_state(uow, SLA_BANNER)
    return state.message if state.on else None
