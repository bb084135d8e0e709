"""/api/vendors/{id}/catalogue: a vendor (or an admin) manages services, location and hours."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

import attrs
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bookiji_core.ports import Clock, UnitOfWorkFactory
from bookiji_core.quoting import QuotePolicy
from bookiji_core.schedule import WEEKDAYS
from bookiji_core.usecases import catalogue as uc
from bookiji_entry import catalogue_io as io
from bookiji_entry.http._io import Call, endpoint, principal

BASE = "/api/vendors/{vendor_id}"


@attrs.frozen
class CatalogueDeps:
    """What the catalogue and availability routes use."""

    uow: UnitOfWorkFactory
    clock: Clock
    policy: QuotePolicy


def _vid(call: Call) -> str:
    return call.path_params["vendor_id"]


def get_catalogue(deps: CatalogueDeps, call: Call) -> Response:
    caller = principal(call, deps.uow, deps.clock)
    found = uc.show_catalogue(_vid(call), caller, deps.uow(), deps.clock)
    return JSONResponse(io.view(found))


def put_service(deps: CatalogueDeps, call: Call) -> Response:
    caller = principal(call, deps.uow, deps.clock)
    offer = io.offer(call.path_params["service_type"], call.json(), deps.policy.currency)
    found = uc.put_service(_vid(call), offer, caller, deps.uow(), deps.clock)
    return JSONResponse(io.view(found))


def delete_service(deps: CatalogueDeps, call: Call) -> Response:
    caller = principal(call, deps.uow, deps.clock)
    service = call.path_params["service_type"]
    found = uc.remove_service(_vid(call), service, caller, deps.uow(), deps.clock)
    return JSONResponse(io.view(found))


def put_hours(deps: CatalogueDeps, call: Call) -> Response:
    caller = principal(call, deps.uow, deps.clock)
    zone, weekly = io.weekly(call.json())
    found = uc.set_weekly_hours(_vid(call), zone, weekly, caller, deps.uow(), deps.clock)
    return JSONResponse(io.view(found))


def put_exception(deps: CatalogueDeps, call: Call) -> Response:
    caller = principal(call, deps.uow, deps.clock)
    exception = io.exception(call.path_params["date"], call.json())
    found = uc.set_exception(_vid(call), exception, caller, deps.uow(), deps.clock)
    return JSONResponse(io.view(found))


def delete_exception(deps: CatalogueDeps, call: Call) -> Response:
    caller = principal(call, deps.uow, deps.clock)
    on = io.day(call.path_params["date"])
    found = uc.remove_exception(_vid(call), on, caller, deps.uow(), deps.clock)
    return JSONResponse(io.view(found))


def put_location(deps: CatalogueDeps, call: Call) -> Response:
    caller = principal(call, deps.uow, deps.clock)
    address, where, zone = io.location(call.json())
    uc.set_location(_vid(call), address, where, zone, caller, deps.uow(), deps.clock)
    return JSONResponse(io.view(uc.show_catalogue(_vid(call), caller, deps.uow(), deps.clock)))


def get_availability(deps: CatalogueDeps, call: Call) -> Response:
    caller = principal(call, deps.uow, deps.clock)
    within = io.interval(call.query.get("from"), call.query.get("to"))
    return JSONResponse(io.windows(uc.availability(_vid(call), within, caller, deps.uow())))


def routes(deps: CatalogueDeps) -> list[BaseRoute]:
    def route(path: str, handler: Any, method: str, *, body: bool = False) -> Route:
        return Route(BASE + path, endpoint(partial(handler, deps), body=body), methods=[method])

    return [
        route("/catalogue", get_catalogue, "GET"),
        route("/catalogue/services/{service_type}", put_service, "PUT", body=True),
        route("/catalogue/services/{service_type}", delete_service, "DELETE"),
        route("/catalogue/hours", put_hours, "PUT", body=True),
        route("/catalogue/exceptions/{date}", put_exception, "PUT", body=True),
        route("/catalogue/exceptions/{date}", delete_exception, "DELETE"),
        route("/catalogue/location", put_location, "PUT", body=True),
        route("/availability", get_availability, "GET"),
    ]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


def _operation(
    op_id: str, summary: str, *, body: str | None = None, change: bool = True, ok: str = "Catalogue"
) -> Any:
    responses = {"200": _ref(ok)}
    for status, name in (("401", "Unauthenticated"), ("403", "Forbidden"), ("404", "NotFound")):
        responses[status] = _ref(name)
    if change:
        responses["409"] = _ref("Conflict")
    if body is not None:
        responses["413"] = _ref("BodyTooLarge")
    responses["422"] = _ref("Unprocessable")
    operation: dict[str, Any] = {
        "operationId": op_id,
        "summary": summary,
        "tags": ["catalogue"],
        "security": [{"bearerAuth": []}],
        "responses": responses,
    }
    if body is not None:
        schema = {"$ref": f"#/components/schemas/{body}"}
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schema}},
        }
    return operation


_HOURS = {"type": "array", "items": {"type": "string", "examples": ["09:00-17:00"]}}
_PATHS: dict[str, dict[str, Any]] = {
    "/catalogue": {"get": _operation("getCatalogue", "The vendor's own catalogue", change=False)},
    "/catalogue/services/{service_type}": {
        "put": _operation("putService", "Add or change a service", body="ServiceOffer"),
        "delete": _operation("deleteService", "Stop offering a service"),
    },
    "/catalogue/hours": {
        "put": _operation("putHours", "Replace the weekly hours", body="WeeklyHours")
    },
    "/catalogue/exceptions/{date}": {
        "put": _operation(
            "putException", "Close a date or give it its own hours", body="Exception"
        ),
        "delete": _operation("deleteException", "Back to the weekly hours on a date"),
    },
    "/catalogue/location": {
        "put": _operation("putLocation", "Set the exact location and public zone", body="Place")
    },
    "/availability": {
        "get": _operation(
            "getAvailability", "Open and free windows", change=False, ok="Availability"
        )
    },
}


def _with_parameters(path: str, item: dict[str, Any]) -> dict[str, Any]:
    names = re.findall(r"{(\w+)}", path)
    params = [
        {"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names
    ]
    if path.endswith("/availability"):
        params += [
            {"name": n, "in": "query", "required": True, "schema": {"type": "string"}}
            for n in ("from", "to")
        ]
    return {method: {**op, "parameters": params} for method, op in item.items()}


OPENAPI_PATHS: dict[str, Any] = {
    BASE + path: _with_parameters(BASE + path, item) for path, item in _PATHS.items()
}

OPENAPI_COMPONENTS: dict[str, Any] = {
    "schemas": {
        "ServiceOffer": {
            "type": "object",
            "required": ["hourly_rate_minor"],
            "properties": {
                "hourly_rate_minor": {"type": "integer", "minimum": 1},
                "durations": {"type": "array", "items": {"type": "integer", "minimum": 1}},
            },
        },
        "WeeklyHours": {
            "type": "object",
            "required": ["time_zone", "weekly"],
            "properties": {
                "time_zone": {"type": "string", "examples": ["America/Vancouver"]},
                "weekly": {"type": "object", "properties": {d: _HOURS for d in WEEKDAYS}},
            },
        },
        "Exception": {
            "type": "object",
            "properties": {"closed": {"type": "boolean"}, "hours": _HOURS},
        },
        "Place": {
            "type": "object",
            "required": ["address", "latitude", "longitude", "zone"],
            "properties": {
                "address": {"type": "string"},
                "latitude": {"type": "number"},
                "longitude": {"type": "number"},
                "zone": {"type": "string", "description": "The public area customers see"},
            },
        },
    },
    "responses": {
        "Catalogue": {
            "description": "The catalogue, with the exact location (owner and admins only)",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        "Availability": {
            "description": "Open windows from the rules, and the part no booking occupies",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
    },
}
