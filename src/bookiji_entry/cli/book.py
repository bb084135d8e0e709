"""`bkctl book`: confirm a quoted provider, idempotently, through the same use case as the API."""

from __future__ import annotations

import argparse
from typing import Any

from bookiji_core.policy import BookingPolicy
from bookiji_core.ports import Clock, Ids, UnitOfWorkFactory
from bookiji_core.usecases import confirm_booking
from bookiji_entry import inputs, render
from bookiji_entry.cli._common import add_json, add_token, login, print_json
from bookiji_entry.cli.bookings import print_booking
from bookiji_entry.shapes.bookings import ConfirmRequest


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "book",
        help="confirm a quote",
        description=(
            "Book a provider of a quote: claim the slot and queue the $1 hold. Running it again "
            "with the same --idempotency-key returns the same booking."
        ),
    )
    parser.add_argument("--quote", required=True, help="quote id from `bkctl quote`")
    parser.add_argument("--provider", required=True, help="provider id, one of the candidates")
    parser.add_argument(
        "--payment-method", required=True, help="payment method reference, e.g. pm_card_visa"
    )
    parser.add_argument(
        "--idempotency-key", required=True, help="any unique string; reuse it to retry safely"
    )
    add_token(parser)
    add_json(parser)
    parser.set_defaults(run=run)


def run(
    args: argparse.Namespace,
    uow: UnitOfWorkFactory,
    clock: Clock,
    ids: Ids,
    booking_policy: BookingPolicy,
) -> int:
    body = {
        "quote_id": args.quote,
        "provider_id": args.provider,
        "payment_method": args.payment_method,
    }
    caller = login(uow, clock, args.token)
    shape = inputs.shape_of(body, ConfirmRequest)
    command = inputs.confirm_command(shape, caller, args.idempotency_key)
    result = confirm_booking(command, uow(), clock, ids, booking_policy)
    if args.json:
        print_json({**render.booking(result.booking), "replayed": result.replayed})
    else:
        print_booking(result.booking, "replayed" if result.replayed else "created")
    return 0
