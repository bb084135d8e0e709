"""`bkctl bookings show|list`: read bookings as the API does, with the audit trail."""

from __future__ import annotations

import argparse
from typing import Any

from bookiji_core.booking import Booking
from bookiji_core.ports import Clock, UnitOfWorkFactory
from bookiji_core.usecases import get_booking, list_bookings
from bookiji_entry import render
from bookiji_entry.cli._common import add_json, add_token, login, print_json


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "bookings", help="read bookings", description="Read bookings you may see."
    )
    actions = parser.add_subparsers(dest="bookings_command", metavar="ACTION", required=True)
    show = actions.add_parser(
        "show", help="one booking and its audit trail", description="One booking, with its audit."
    )
    show.add_argument("booking_id", help="the booking id, e.g. bk_...")
    add_token(show)
    add_json(show)
    show.set_defaults(run=run_show)
    listing = actions.add_parser(
        "list", help="your bookings, newest first", description="Your bookings, newest first."
    )
    listing.add_argument("--limit", type=int, default=20, help="how many (20)")
    add_token(listing)
    add_json(listing)
    listing.set_defaults(run=run_list)


def run_show(args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock) -> int:
    view = get_booking(args.booking_id, login(uow, clock, args.token), uow(), clock)
    if args.json:
        print_json(render.booking_view(view))
        return 0
    print_booking(view.booking)
    for e in view.audit:
        print(
            f"  {render.timestamp(e.at)}  {e.from_state} -> {e.to_state}  {e.action} "
            f"by {e.actor_type}:{e.actor_id}  ({e.reason})"
        )
    return 0


def run_list(args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock) -> int:
    found = list_bookings(login(uow, clock, args.token), uow(), limit=args.limit)
    if args.json:
        print_json({"bookings": [render.booking(b) for b in found]})
        return 0
    for booking in found:
        print_booking(booking)
    if not found:
        print("no bookings")
    return 0


def print_booking(b: Booking, note: str = "") -> None:
    suffix = f" ({note})" if note else ""
    print(f"booking {b.id}: {b.state}{suffix}")
    print(f"  provider {b.vendor_id}, customer {b.customer_id}")
    print(f"  {render.timestamp(b.interval.start)} to {render.timestamp(b.interval.end)}")
    print(f"  price {b.price}, commitment fee {b.commitment_fee} ({b.payment_status})")
    if b.state == "hold_placed":
        print(f"  the provider must confirm by {render.timestamp(b.hold_expires_at)}")
