"""`bkctl principals invite|list|rotate|revoke`: who may sign in, and with which token."""

from __future__ import annotations

import argparse
from typing import Any

from bookiji_core.ports import Clock, Ids, UnitOfWorkFactory
from bookiji_core.usecases.principals import (
    Issued,
    TokenPolicy,
    invite,
    list_principals,
    revoke,
    rotate,
)
from bookiji_entry.cli._common import add_json, print_json
from bookiji_entry.cli._operator import add_operator, operator
from bookiji_entry.principals import (
    ROLES,
    invitation_of,
    new_token,
    render_issued,
    render_summary,
)


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "principals",
        help="invite people and list, rotate or revoke their tokens (admin)",
        description=(
            "Whoever can reach the database acts as an admin (--as names you in the audit). "
            "A token is printed once and stored only hashed; it expires after "
            "BOOKIJI_TOKEN_TTL_DAYS (90 by default)."
        ),
    )
    actions = parser.add_subparsers(dest="principals_command", metavar="ACTION", required=True)

    add = actions.add_parser("invite", help="create a person with a role and print a token")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--name", required=True)
    add.add_argument("--email", required=True)
    add.add_argument("--phone", default="")
    _common(add, run_invite)

    listing = actions.add_parser("list", help="every principal and its token's state")
    _common(listing, run_list)

    again = actions.add_parser("rotate", help="print a new token; the old ones stop working")
    again.add_argument("subject_id", metavar="ID")
    again.add_argument("--reason", default="rotated", help="why, for the audit")
    _common(again, run_rotate)

    stop = actions.add_parser("revoke", help="every token of the person stops working")
    stop.add_argument("subject_id", metavar="ID")
    stop.add_argument("--reason", required=True, help="why, for the audit")
    _common(stop, run_revoke)


def _common(parser: Any, run: Any) -> None:
    add_operator(parser)
    add_json(parser)
    parser.set_defaults(run=run)


def run_invite(
    args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock, ids: Ids, tokens: TokenPolicy
) -> int:
    values = {"role": args.role, "name": args.name, "email": args.email, "phone": args.phone}
    issued = invite(invitation_of(values), operator(args), new_token(), tokens, uow(), clock, ids)
    _print_issued(issued, args.json, "invited")
    return 0


def run_list(args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock) -> int:
    found = [render_summary(s) for s in list_principals(operator(args), uow(), clock)]
    if args.json:
        print_json({"principals": found})
        return 0
    print(f"{'ID':<28} {'ROLE':<9} {'STATE':<8} {'TOKENS':>6}  EXPIRES")
    for p in found:
        expires = p["expires_at"] or "never"
        print(f"{p['subject_id']:<28} {p['role']:<9} {p['state']:<8} {p['tokens']:>6}  {expires}")
    return 0


def run_rotate(
    args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock, tokens: TokenPolicy
) -> int:
    issued = rotate(args.subject_id, operator(args), new_token(), tokens, uow(), clock, args.reason)
    _print_issued(issued, args.json, "rotated")
    return 0


def run_revoke(args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock) -> int:
    summary = revoke(args.subject_id, operator(args), args.reason, uow(), clock)
    rendered = render_summary(summary)
    if args.json:
        print_json(rendered)
    else:
        print(f"revoked {rendered['subject_id']} ({rendered['role']}) at {rendered['revoked_at']}")
    return 0


def _print_issued(issued: Issued, as_json: bool, verb: str) -> None:
    rendered = render_issued(issued)
    if as_json:
        print_json(rendered)
        return
    subject, role, expires = rendered["subject_id"], rendered["role"], rendered["expires_at"]
    print(f"{verb} {subject} ({role}); the token expires {expires}")
    print(f"token (shown only now; it is stored hashed): {rendered['token']}")
