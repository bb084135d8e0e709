"""`bkctl channels list|set|opt-out|opt-in ID ...`: a person's notification channels (admin)."""

from __future__ import annotations

import argparse
from typing import Any

from bookiji_core.ports import Clock, UnitOfWorkFactory
from bookiji_core.usecases.channels import channel_named, list_channels, opt, put_channel
from bookiji_entry import channels_io
from bookiji_entry.cli._common import add_json, print_json
from bookiji_entry.cli._operator import add_operator, operator
from bookiji_entry.inputs import shape_of
from bookiji_entry.shapes.channels import ChannelRequest


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "channels",
        help="a person's notification channels and opt-outs (admin)",
        description=(
            "Where a customer or vendor is told of their bookings: email (the profile's "
            "address until one is set) and, for a vendor, a Standard Webhooks endpoint. "
            "Whoever can reach the database acts as an admin (--as names you)."
        ),
    )
    actions = parser.add_subparsers(dest="channels_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the person's channels (never a secret)")
    listing.add_argument("subject_id", metavar="ID")
    _common(listing, run_list)

    put = actions.add_parser("set", help="set an email address or a vendor's webhook endpoint")
    put.add_argument("subject_id", metavar="ID")
    put.add_argument("channel", metavar="CHANNEL", help="email or webhook")
    put.add_argument("address", metavar="ADDRESS", help="name@domain, or the endpoint's URL")
    put.add_argument(
        "--secret", default=None, help="webhook: the whsec_... secret (made and shown if absent)"
    )
    _common(put, run_set)

    for verb, out in (("opt-out", True), ("opt-in", False)):
        choice = actions.add_parser(verb, help=f"{verb.replace('-', ' ')} of a channel")
        choice.add_argument("subject_id", metavar="ID")
        choice.add_argument("channel", metavar="CHANNEL", help="email or webhook")
        _common(choice, run_opt_out if out else run_opt_in)


def _common(parser: Any, run: Any) -> None:
    add_operator(parser)
    add_json(parser)
    parser.set_defaults(run=run)


def _show(rendered: dict[str, Any]) -> str:
    state = "opted out" if rendered["opted_out"] else "on"
    return f"{rendered['principal_id']} {rendered['channel']:<8} {state:<9} {rendered['address']}"


def run_list(args: argparse.Namespace, uow: UnitOfWorkFactory) -> int:
    found = [channels_io.render(p) for p in list_channels(operator(args), args.subject_id, uow())]
    if args.json:
        print_json({"channels": found})
    for rendered in [] if args.json else found:
        print(_show(rendered))
    return 0


def run_set(args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock) -> int:
    channel = channel_named(args.channel)
    body = {"address": args.address, "secret": args.secret}
    address, secret, made = channels_io.address_and_secret(channel, shape_of(body, ChannelRequest))
    stored = put_channel(operator(args), args.subject_id, channel, address, secret, uow(), clock)
    rendered = channels_io.render(stored)
    if made:
        rendered["secret"] = secret
    if args.json:
        print_json(rendered)
        return 0
    print(f"set {_show(rendered)}")
    if made:
        print(f"signing secret (shown only now; give it to the vendor): {secret}")
    return 0


def _opt(args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock, out: bool) -> int:
    channel = channel_named(args.channel)
    changed = opt(operator(args), args.subject_id, channel, out, uow(), clock)
    rendered = channels_io.render(changed)
    if args.json:
        print_json(rendered)
    else:
        print(_show(rendered))
    return 0


def run_opt_out(args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock) -> int:
    return _opt(args, uow, clock, True)


def run_opt_in(args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock) -> int:
    return _opt(args, uow, clock, False)
