"""`bkctl flags list|set|revert-last`: the feature flags every process reads from storage."""

from __future__ import annotations

import argparse
from typing import Any

from bookiji_core.flags import FlagState
from bookiji_core.ports import Clock, UnitOfWorkFactory
from bookiji_core.usecases.flags import list_flags, revert_last_change, set_flag
from bookiji_entry import render
from bookiji_entry.cli._common import add_json, print_json
from bookiji_entry.cli._operator import add_operator, operator


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "flags", help="feature flags", description="Read and change feature flags."
    )
    actions = parser.add_subparsers(dest="flags_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="every flag, its value and last change")
    add_json(listing)
    listing.set_defaults(run=run_list)
    setting = actions.add_parser(
        "set", help="turn a flag on or off", description="Turn a flag on or off (admins)."
    )
    setting.add_argument("name", help="the flag, e.g. beta.public_directory")
    setting.add_argument("value", choices=("on", "off"))
    setting.add_argument("--reason", required=True, help="why; kept with the flag")
    setting.add_argument(
        "--message",
        default=None,
        help="the text a flag that shows one shows while on (ops.sla_banner: the SLA notice)",
    )
    add_operator(setting)
    add_json(setting)
    setting.set_defaults(run=run_set)
    revert = actions.add_parser(
        "revert-last",
        help="put the most recently changed flag back (runbook Incident-004)",
    )
    revert.add_argument("--reason", required=True, help="why; kept with the flag")
    add_operator(revert)
    add_json(revert)
    revert.set_defaults(run=run_revert)


def as_json(state: FlagState) -> dict[str, Any]:
    return {
        "name": state.spec.name,
        "on": state.on,
        "default": state.spec.default,
        "description": state.spec.description,
        "locked": state.spec.required_value is not None,
        "admin_only": state.spec.admin_only,
        "changed_at": render.timestamp(state.changed_at) if state.changed_at else None,
        "changed_by": state.changed_by,
        "reason": state.reason,
        "previous": state.previous,
        "message": state.message,
    }


def _print(state: FlagState) -> None:
    value = "on " if state.on else "off"
    notes = []
    if state.spec.required_value is not None:
        notes.append("locked")
    if state.spec.admin_only:
        notes.append("admin-only")
    if state.changed_at:
        notes.append(
            f"changed {render.timestamp(state.changed_at)} by {state.changed_by}: {state.reason}"
        )
    if state.on and state.message:
        notes.append(f"message: {state.message}")
    suffix = f"  ({'; '.join(notes)})" if notes else ""
    print(f"{value}  {state.spec.name:24} {state.spec.description}{suffix}")


def _show(state: FlagState, as_json_output: bool) -> None:
    if as_json_output:
        print_json(as_json(state))
    else:
        _print(state)


def run_list(args: argparse.Namespace, uow: UnitOfWorkFactory) -> int:
    states = list_flags(uow())
    if args.json:
        print_json({"flags": [as_json(s) for s in states]})
    else:
        for state in states:
            _print(state)
    return 0


def run_set(args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock) -> int:
    state = set_flag(
        args.name,
        args.value == "on",
        operator(args),
        args.reason,
        uow(),
        clock,
        args.message,
    )
    _show(state, args.json)
    return 0


def run_revert(args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock) -> int:
    state = revert_last_change(operator(args), args.reason, uow(), clock)
    _show(state, args.json)
    return 0
