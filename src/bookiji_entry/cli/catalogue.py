"""`bkctl catalogue ...`: a vendor (or an admin) manages services, location, hours, exceptions."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from bookiji_core.access import Principal
from bookiji_core.ports import Clock, UnitOfWorkFactory
from bookiji_core.quoting import QuotePolicy
from bookiji_core.usecases import catalogue as uc
from bookiji_entry import catalogue_io as io
from bookiji_entry.cli._common import add_json, add_token, login, print_json
from bookiji_entry.inputs import shape_of
from bookiji_entry.shapes import catalogue as shapes
from bookiji_entry.shapes import codec

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "catalogue",
        help="a vendor's services, location and hours",
        description="Read and change a vendor's own catalogue (the vendor's or an admin's token).",
    )
    actions = parser.add_subparsers(dest="catalogue_command", metavar="ACTION", required=True)

    def action(name: str, help_: str, run: Callable[..., Any]) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = actions.add_parser(name, help=help_, description=help_)
        sub.add_argument("vendor_id", help="the vendor, e.g. ven_kits_barber")
        add_token(sub)
        add_json(sub)
        sub.set_defaults(run=run)
        return sub

    action("show", "the catalogue, with the exact location", _show)
    service = action("service", "add or change a service", _service)
    service.add_argument("service_type", help="e.g. haircut")
    service.add_argument("--rate", type=int, required=True, help="hourly rate in minor units")
    service.add_argument("--durations", default="", help="allowed minutes, e.g. 30,60 (any)")
    drop = action("remove-service", "stop offering a service", _remove_service)
    drop.add_argument("service_type")
    hours = action("hours", "replace the weekly hours", _hours)
    hours.add_argument("--time-zone", required=True, help="IANA name, e.g. America/Vancouver")
    for day in DAYS:
        hours.add_argument(f"--{day}", default="", help="e.g. 09:00-12:00,13:00-17:00 (closed)")
    closed = action("close", "close a date", _close)
    closed.add_argument("date", help="e.g. 2026-12-25")
    extra = action("open", "give a date its own hours", _open)
    extra.add_argument("date")
    extra.add_argument("hours", help="e.g. 18:00-21:00 or 09:00-12:00,13:00-15:00")
    reset = action("reset", "back to the weekly hours on a date", _reset)
    reset.add_argument("date")
    place = action("location", "set the exact location (private) and public zone", _location)
    place.add_argument("--address", required=True)
    place.add_argument("--latitude", type=float, required=True)
    place.add_argument("--longitude", type=float, required=True)
    place.add_argument("--zone", required=True, help="the public area customers see")
    rated = action("rating", "an admin's starting rating for a vetted vendor (0-5)", _rating)
    rated.add_argument("rating", type=float, help="e.g. 4.5; quotes need at least 4")
    free = action("availability", "open and free windows", _availability)
    free.add_argument("--from", dest="start", required=True, help="e.g. 2026-12-01T00:00:00Z")
    free.add_argument("--to", dest="end", required=True)


def _ranges(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _change(
    args: argparse.Namespace,
    uow: UnitOfWorkFactory,
    clock: Clock,
    run: Callable[[Principal], uc.CatalogueView],
) -> int:
    _print(args, codec.plain(io.view(run(login(uow, clock, args.token)))))
    return 0


def _show(args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock) -> int:
    return _change(
        args, uow, clock, lambda who: uc.show_catalogue(args.vendor_id, who, uow(), clock)
    )


def _service(
    args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock, policy: QuotePolicy
) -> int:
    def run(who: Principal) -> uc.CatalogueView:
        minutes = [int(d) if d.isdigit() else d for d in _ranges(args.durations)]
        body = {"hourly_rate_minor": args.rate, "durations": minutes}
        offer = io.offer(args.service_type, shape_of(body, shapes.ServiceOffer), policy.currency)
        return uc.put_service(args.vendor_id, offer, who, uow(), clock)

    return _change(args, uow, clock, run)


def _remove_service(args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock) -> int:
    return _change(
        args,
        uow,
        clock,
        lambda who: uc.remove_service(args.vendor_id, args.service_type, who, uow(), clock),
    )


def _hours(args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock) -> int:
    body = {
        "time_zone": args.time_zone,
        "weekly": {day: _ranges(getattr(args, day)) for day in DAYS},
    }
    zone, weekly = io.weekly(shape_of(body, shapes.WeeklyHours))
    return _change(
        args,
        uow,
        clock,
        lambda who: uc.set_weekly_hours(args.vendor_id, zone, weekly, who, uow(), clock),
    )


def _close(args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock) -> int:
    exception = io.exception(args.date, shapes.DateHours(closed=True))
    return _change(
        args,
        uow,
        clock,
        lambda who: uc.set_exception(args.vendor_id, exception, who, uow(), clock),
    )


def _open(args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock) -> int:
    exception = io.exception(args.date, shape_of({"hours": _ranges(args.hours)}, shapes.DateHours))
    return _change(
        args,
        uow,
        clock,
        lambda who: uc.set_exception(args.vendor_id, exception, who, uow(), clock),
    )


def _reset(args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock) -> int:
    on = io.day(args.date)
    return _change(
        args, uow, clock, lambda who: uc.remove_exception(args.vendor_id, on, who, uow(), clock)
    )


def _rating(args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock) -> int:
    def run(who: Principal) -> uc.CatalogueView:
        uc.set_rating(args.vendor_id, args.rating, who, uow(), clock)
        return uc.show_catalogue(args.vendor_id, who, uow(), clock)

    return _change(args, uow, clock, run)


def _location(args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock) -> int:
    body = {
        "address": args.address,
        "latitude": args.latitude,
        "longitude": args.longitude,
        "zone": args.zone,
    }
    address, where, zone = io.location(shape_of(body, shapes.Place))

    def run(who: Principal) -> uc.CatalogueView:
        uc.set_location(args.vendor_id, address, where, zone, who, uow(), clock)
        return uc.show_catalogue(args.vendor_id, who, uow(), clock)

    return _change(args, uow, clock, run)


def _availability(args: argparse.Namespace, uow: UnitOfWorkFactory, clock: Clock) -> int:
    within = io.interval_of(args.start, args.end)
    found = uc.availability(args.vendor_id, within, login(uow, clock, args.token), uow())
    _print(args, codec.plain(io.windows(found)))
    return 0


def _print(args: argparse.Namespace, body: dict[str, Any]) -> None:
    if args.json:
        print_json(body)
        return
    for key, value in body.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        elif isinstance(value, list):
            value = "; ".join(str(v) for v in value) or "none"
        print(f"{key}: {value}")
