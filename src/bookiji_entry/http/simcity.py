"""SimCity's control surface: power the synthetic-traffic daemon on and off, configure it, read
its status, and issue tokens to synthetic customers for load mode. Admin-only.

One daemon per app (per server process): with `bkctl serve --workers N` each worker has its
own, so run SimCity against a single-worker server.
"""

from __future__ import annotations

import secrets
from functools import partial
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bookiji_core.access import Role
from bookiji_core.errors import InvalidInput
from bookiji_core.ports import Clock, UnitOfWorkFactory
from bookiji_entry.http._io import Call, endpoint, principal
from bookiji_simcity.daemon import SimCityDaemon
from bookiji_simcity.daemon_config import INTEGERS, LIMITS
from bookiji_simcity.population import CENTRE, SERVICES

MAX_TOKENS = 1000


def _admin(uow: UnitOfWorkFactory, clock: Clock, call: Call) -> None:
    principal(call, uow, clock).require(Role.ADMIN)


def power_on(uow: UnitOfWorkFactory, clock: Clock, daemon: SimCityDaemon, call: Call) -> Response:
    _admin(uow, clock, call)
    return JSONResponse(daemon.power_on())


def power_off(uow: UnitOfWorkFactory, clock: Clock, daemon: SimCityDaemon, call: Call) -> Response:
    _admin(uow, clock, call)
    return JSONResponse(daemon.power_off())


def status(uow: UnitOfWorkFactory, clock: Clock, daemon: SimCityDaemon, call: Call) -> Response:
    _admin(uow, clock, call)
    return JSONResponse(daemon.status())


def configure(uow: UnitOfWorkFactory, clock: Clock, daemon: SimCityDaemon, call: Call) -> Response:
    _admin(uow, clock, call)
    return JSONResponse(daemon.configure(call.json()))


def population(uow: UnitOfWorkFactory, clock: Clock, daemon: SimCityDaemon, call: Call) -> Response:
    """Make sure the synthetic population exists and give `tokens` of its customers a fresh
    bearer token each (stored hashed; shown only in this answer)."""
    _admin(uow, clock, call)
    wanted = call.json(required=False).get("tokens", 20)
    if isinstance(wanted, bool) or not isinstance(wanted, int) or not 1 <= wanted <= MAX_TOKENS:
        raise InvalidInput("tokens", f"tokens must be an integer between 1 and {MAX_TOKENS}")
    issued = daemon.issue_tokens(wanted, lambda _id: f"sim_{secrets.token_urlsafe(24)}")
    return JSONResponse(
        {
            "customers": [{"customer_id": c, "token": t} for c, t in issued.items()],
            "area": {"latitude": CENTRE.latitude, "longitude": CENTRE.longitude, "radius_km": 10},
            "service_types": list(SERVICES),
        },
        headers={"Cache-Control": "no-store"},
    )


def routes(uow: UnitOfWorkFactory, clock: Clock, daemon: SimCityDaemon) -> list[BaseRoute]:

    def bind(handler: Any, *, body: bool = False) -> Any:
        return endpoint(partial(handler, uow, clock, daemon), body=body)

    return [
        Route("/api/simcity/power/on", bind(power_on), methods=["POST"]),
        Route("/api/simcity/power/off", bind(power_off), methods=["POST"]),
        Route("/api/simcity/status", bind(status), methods=["GET"]),
        Route("/api/simcity/config", bind(configure, body=True), methods=["POST"]),
        Route("/api/simcity/population", bind(population, body=True), methods=["POST"]),
    ]


_ADMIN = {"security": [{"bearerAuth": []}], "tags": ["simcity"]}
_STATUS = {"application/json": {"schema": {"$ref": "#/components/schemas/SimCityStatus"}}}


def _problems(*statuses: str) -> dict[str, Any]:
    names = {
        "400": "BadRequest",
        "401": "Unauthenticated",
        "403": "Forbidden",
        "413": "BodyTooLarge",
        "422": "Unprocessable",
        "500": "InternalError",
    }
    return {s: {"$ref": f"#/components/responses/{names[s]}"} for s in (*statuses, "500")}


def _operation(op_id: str, summary: str, *errors: str, body: bool = False) -> dict[str, Any]:
    operation: dict[str, Any] = {
        **_ADMIN,
        "operationId": op_id,
        "summary": summary,
        "responses": {
            "200": {"description": "The daemon's status", "content": _STATUS},
            **_problems("401", "403", *errors),
        },
    }
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/SimCityConfig"}}
            },
        }
    return operation


OPENAPI_PATHS: dict[str, Any] = {
    "/api/simcity/power/on": {
        "post": _operation(
            "simcityPowerOn",
            "Start the synthetic traffic (refused in production unless explicitly allowed)",
        )
    },
    "/api/simcity/power/off": {"post": _operation("simcityPowerOff", "Stop the traffic")},
    "/api/simcity/status": {
        "get": _operation("simcityStatus", "Running, rates, simulated time, counts")
    },
    "/api/simcity/config": {
        "post": _operation(
            "simcityConfig",
            "Change rates, population or fault probabilities (validated)",
            "400",
            "413",
            "422",
            body=True,
        )
    },
    "/api/simcity/population": {
        "post": {
            **_ADMIN,
            "operationId": "simcityPopulation",
            "summary": "Create the synthetic population if needed; fresh tokens for load mode",
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "tokens": {"type": "integer", "minimum": 1, "maximum": MAX_TOKENS}
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "Synthetic customers with a token each, and where they live",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                **_problems("400", "401", "403", "413", "422"),
            },
        }
    },
}

OPENAPI_COMPONENTS: dict[str, Any] = {
    "schemas": {
        "SimCityConfig": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                name: {
                    "type": "integer" if name in INTEGERS else "number",
                    "minimum": low,
                    "maximum": high,
                }
                for name, (low, high) in LIMITS.items()
            },
        },
        "SimCityStatus": {
            "type": "object",
            "required": ["running", "simulated_time", "rates", "config", "population", "counts"],
            "properties": {
                "running": {"type": "boolean"},
                "simulated_time": {"type": "string", "format": "date-time"},
                "started_at": {"type": ["string", "null"]},
                "rates": {"type": "object"},
                "config": {"$ref": "#/components/schemas/SimCityConfig"},
                "population": {"type": "object"},
                "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                "pending_moves": {"type": "integer"},
                "faults_applied": {"type": "boolean"},
            },
        },
    }
}
