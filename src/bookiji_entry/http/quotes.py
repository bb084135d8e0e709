"""POST /api/quote: a customer asks for a service near a place at a time."""

from __future__ import annotations

import attrs
from starlette.routing import BaseRoute

from bookiji_core.access import Role
from bookiji_core.ports import Clock, Ids, MapProvider, UnitOfWorkFactory
from bookiji_core.quoting import QuotePolicy
from bookiji_core.usecases import request_quote
from bookiji_entry import inputs
from bookiji_entry.banner import SlaBanner
from bookiji_entry.http._io import Call
from bookiji_entry.http._spec import Answer, Auth, Operation, Reply, bind
from bookiji_entry.shapes import quotes


@attrs.frozen
class QuoteDeps:
    """What POST /api/quote uses."""

    uow: UnitOfWorkFactory
    clock: Clock
    ids: Ids
    policy: QuotePolicy
    maps: MapProvider
    banner: SlaBanner


def post_quote(deps: QuoteDeps, call: Call) -> Answer:
    request = inputs.quote_request(call.body, call.principal, deps.policy)
    result = request_quote(request, deps.uow(), deps.clock, deps.ids, deps.policy, deps.maps)
    notice = deps.banner()  # the SLA banner (Incident-002)
    return Answer(quotes.Quote.of(result, notice), status=200 if result.reused else 201)


OPERATIONS = (
    Operation(
        "POST",
        "/api/quote",
        "requestQuote",
        "Rank nearby free providers and price the request",
        "quotes",
        post_quote,
        (
            Reply(201, "A new quote", quotes.Quote),
            Reply(200, "The live quote of the same intent, reused", quotes.Quote),
        ),
        roles=(Role.CUSTOMER,),
        body=quotes.QuoteRequest,
        description=(
            "Candidates offer the service, are rated 4.0 or more, lie within the radius and "
            "are free for the interval; the top 5 are ranked by rating, distance, response "
            "time and availability. The price is the median of the top 3. The same intent "
            "from the same customer reuses the live quote (200, `reused: true`)."
        ),
    ),
)


def routes(deps: QuoteDeps) -> list[BaseRoute]:
    return bind(OPERATIONS, deps, auth=Auth(deps.uow, deps.clock))
