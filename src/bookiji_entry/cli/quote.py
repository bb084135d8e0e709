"""`bkctl quote`: ask for a quote from the terminal, through the same use case as the API."""

from __future__ import annotations

import argparse
from typing import Any

from bookiji_core.ports import Clock, Ids, MapProvider, UnitOfWorkFactory
from bookiji_core.quoting import QuotePolicy
from bookiji_core.usecases import QuoteResult, request_quote
from bookiji_entry import inputs, render
from bookiji_entry.cli._common import add_json, add_token, login, print_json


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "quote",
        help="ask for a quote",
        description="Rank nearby free providers for a service at a time and price it.",
    )
    parser.add_argument("--service", required=True, help="service type, e.g. haircut")
    parser.add_argument("--lat", type=float, required=True, help="latitude, e.g. 49.2827")
    parser.add_argument("--lon", type=float, required=True, help="longitude, e.g. -123.1207")
    # Left out, the radius and duration are the deployment's quote policy defaults.
    defaults = QuotePolicy()
    parser.add_argument(
        "--radius", type=float, help=f"radius in km ({defaults.default_radius_km:g})"
    )
    parser.add_argument(
        "--at", required=True, help="ISO 8601 start with an offset, e.g. 2026-12-01T18:00:00Z"
    )
    parser.add_argument(
        "--duration",
        type=int,
        help=f"duration in minutes ({defaults.default_duration_minutes})",
    )
    add_token(parser)
    add_json(parser)
    parser.set_defaults(run=run)


def run(
    args: argparse.Namespace,
    uow: UnitOfWorkFactory,
    clock: Clock,
    ids: Ids,
    policy: QuotePolicy,
    maps: MapProvider,
) -> int:
    body = {
        "service_type": args.service,
        "location": {"latitude": args.lat, "longitude": args.lon, "radius_km": args.radius},
        "date_time": args.at,
        "duration_minutes": args.duration,
    }
    request = inputs.quote_request(body, login(uow, clock, args.token), policy)
    result = request_quote(request, uow(), clock, ids, policy, maps)
    if args.json:
        print_json(render.quote(result))
    else:
        _print(result)
    return 0


def _print(result: QuoteResult) -> None:
    q = result.quote
    state = "reused" if result.reused else "new"
    print(f"quote {q.id} ({state}), expires {render.timestamp(q.expires_at)}")
    print(f"  price {q.price}, eta {q.eta_minutes} min, commitment fee {q.commitment_fee}")
    for c in q.candidates:
        print(f"  {c.vendor_id:<24} {c.price!s:>11}  eta {c.eta_minutes:>3} min  {c.zone}")
