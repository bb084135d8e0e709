"""`bkctl seed --demo`: the pilot's demo catalogue, customers and tokens."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from bookiji_core.ports import Clock, UnitOfWorkFactory
from bookiji_core.usecases.principals import TokenPolicy
from bookiji_entry import seed
from bookiji_entry.cli._common import CliError, add_json, print_json
from bookiji_entry.settings import Profile, Settings


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "seed",
        help="add the demo pilot data",
        description=(
            "Add the demo pilot: Vancouver vendors with their services and weekly hours, "
            "20 customers and an admin, and print a bearer token per principal (only once: "
            "tokens are stored hashed). Refused by the production profile."
        ),
    )
    parser.add_argument("--demo", action="store_true", required=True, help="the demo pilot data")
    parser.add_argument(
        "--fixed-tokens",
        action="store_true",
        help="use the public demo-<id> tokens (demos and tests only) instead of random ones",
    )
    add_json(parser)
    parser.set_defaults(run=run)


def run(
    args: argparse.Namespace,
    settings: Settings,
    uow: UnitOfWorkFactory,
    clock: Clock,
    tokens: TokenPolicy,
) -> int:
    issued = seed_or_refuse(settings, uow, clock, tokens, fixed_tokens=args.fixed_tokens)
    if args.json:
        print_json(
            [{"role": t.role.value, "subject_id": t.subject_id, "token": t.token} for t in issued]
        )
    else:
        print_tokens(issued, fixed=args.fixed_tokens)
    return 0


def seed_or_refuse(
    settings: Settings,
    uow: UnitOfWorkFactory,
    clock: Clock,
    tokens: TokenPolicy,
    *,
    fixed_tokens: bool,
) -> list[seed.IssuedToken]:
    if settings.profile is Profile.PRODUCTION:
        raise CliError("the production profile refuses demo data", 2)
    try:
        return seed.seed_demo(uow(), clock.now(), fixed_tokens=fixed_tokens, policy=tokens)
    except seed.AlreadySeeded as exc:
        raise CliError(f"{exc}; nothing was changed", 1) from None


def print_tokens(tokens: Sequence[seed.IssuedToken], *, fixed: bool) -> None:
    print(
        f"Seeded the demo pilot: {len(seed.DEMO_VENDORS)} vendors in Vancouver, "
        f"{len(seed.DEMO_CUSTOMERS)} customers, 1 admin."
    )
    if fixed:
        print("Bearer tokens (the public demo tokens of the local profile, not secrets):")
    else:
        print("Bearer tokens (shown only now; they are stored hashed):")
    width = max(len(t.token) for t in tokens)
    for t in tokens:
        print(f"  {t.role.value:<9} {t.subject_id:<22} {t.token:<{width}}  {t.name}")
    print(flush=True)
