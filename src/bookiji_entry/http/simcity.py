"""SimCity's control surface: power the synthetic-traffic daemon on and off, configure it, read
its status, and issue tokens to synthetic customers for load mode. Admin-only.

One daemon per app (per server process): with `bkctl serve --workers N` each worker has its
own, so run SimCity against a single-worker server.
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.routing import BaseRoute

from bookiji_core.access import Role
from bookiji_core.ports import Clock, UnitOfWorkFactory
from bookiji_entry.http._io import Call
from bookiji_entry.http._spec import Answer, Auth, Operation, Reply, bind
from bookiji_entry.shapes import codec
from bookiji_entry.shapes import simcity as shapes
from bookiji_simcity.daemon import SimCityDaemon
from bookiji_simcity.population import CENTRE, SERVICES

ADMIN = (Role.ADMIN,)
STATUS = (Reply(200, "The daemon's status", shapes.SimCityStatus),)


def _status(found: dict[str, Any]) -> Answer:
    return Answer(codec.shaped(found, shapes.SimCityStatus))


def power_on(daemon: SimCityDaemon, _call: Call) -> Answer:
    return _status(daemon.power_on())


def power_off(daemon: SimCityDaemon, _call: Call) -> Answer:
    return _status(daemon.power_off())


def status(daemon: SimCityDaemon, _call: Call) -> Answer:
    return _status(daemon.status())


def configure(daemon: SimCityDaemon, call: Call) -> Answer:
    return _status(daemon.configure(shapes.changes(call.body)))


def population(daemon: SimCityDaemon, call: Call) -> Answer:
    """Make sure the synthetic population exists and give `tokens` of its customers a fresh
    bearer token each (stored hashed; shown only in this answer)."""
    wanted = call.body.tokens
    issued = daemon.issue_tokens(wanted, lambda _id: f"sim_{secrets.token_urlsafe(24)}")
    found = shapes.Population(
        customers=[shapes.SyntheticCustomer(c, t) for c, t in issued.items()],
        area=shapes.Area(CENTRE.latitude, CENTRE.longitude, 10),
        service_types=list(SERVICES),
    )
    return Answer(found, headers={"Cache-Control": "no-store"})


def _operation(method: str, path: str, op_id: str, summary: str, handler: Any) -> Operation:
    return Operation(method, path, op_id, summary, "simcity", handler, STATUS, roles=ADMIN)


OPERATIONS = (
    _operation(
        "POST",
        "/api/simcity/power/on",
        "simcityPowerOn",
        "Start the synthetic traffic (refused in production unless explicitly allowed)",
        power_on,
    ),
    _operation("POST", "/api/simcity/power/off", "simcityPowerOff", "Stop the traffic", power_off),
    _operation(
        "GET",
        "/api/simcity/status",
        "simcityStatus",
        "Running, rates, simulated time, counts",
        status,
    ),
    Operation(
        "POST",
        "/api/simcity/config",
        "simcityConfig",
        "Change rates, population or fault probabilities (validated)",
        "simcity",
        configure,
        STATUS,
        roles=ADMIN,
        body=shapes.SimCityConfig,
    ),
    Operation(
        "POST",
        "/api/simcity/population",
        "simcityPopulation",
        "Create the synthetic population if needed; fresh tokens for load mode",
        "simcity",
        population,
        (
            Reply(
                200, "Synthetic customers with a token each, and where they live", shapes.Population
            ),
        ),
        roles=ADMIN,
        body=shapes.PopulationRequest,
        body_required=False,
    ),
)


def routes(uow: UnitOfWorkFactory, clock: Clock, daemon: SimCityDaemon) -> list[BaseRoute]:
    return bind(OPERATIONS, daemon, auth=Auth(uow, clock))
