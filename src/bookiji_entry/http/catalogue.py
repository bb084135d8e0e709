"""/api/vendors/{id}/catalogue: a vendor (or an admin) manages services, location and hours."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
from starlette.routing import BaseRoute

from bookiji_core.access import Role
from bookiji_core.ports import Clock, UnitOfWorkFactory
from bookiji_core.quoting import QuotePolicy
from bookiji_core.usecases import catalogue as uc
from bookiji_entry import catalogue_io as io
from bookiji_entry.http._io import Call
from bookiji_entry.http._spec import Answer, Auth, Operation, Param, Reply, bind
from bookiji_entry.shapes import catalogue as shapes
from bookiji_entry.shapes.common import Id

BASE = "/api/vendors/{vendor_id}"
VENDOR = Param("vendor_id", Id)
SERVICE = Param("service_type", shapes.ServiceType)
DATE = Param("date", shapes.Day)
OWNER = (Role.VENDOR, Role.ADMIN)


@attrs.frozen
class CatalogueDeps:
    """What the catalogue and availability routes use."""

    uow: UnitOfWorkFactory
    clock: Clock
    policy: QuotePolicy


def _vid(call: Call) -> str:
    vendor_id: str = call.params["vendor_id"]
    return vendor_id


def get_catalogue(deps: CatalogueDeps, call: Call) -> Answer:
    found = uc.show_catalogue(_vid(call), call.principal, deps.uow(), deps.clock)
    return Answer(io.view(found))


def put_service(deps: CatalogueDeps, call: Call) -> Answer:
    offer = io.offer(call.params["service_type"], call.body, deps.policy.currency)
    found = uc.put_service(_vid(call), offer, call.principal, deps.uow(), deps.clock)
    return Answer(io.view(found))


def delete_service(deps: CatalogueDeps, call: Call) -> Answer:
    service = call.params["service_type"]
    found = uc.remove_service(_vid(call), service, call.principal, deps.uow(), deps.clock)
    return Answer(io.view(found))


def put_hours(deps: CatalogueDeps, call: Call) -> Answer:
    zone, weekly = io.weekly(call.body)
    found = uc.set_weekly_hours(_vid(call), zone, weekly, call.principal, deps.uow(), deps.clock)
    return Answer(io.view(found))


def put_exception(deps: CatalogueDeps, call: Call) -> Answer:
    exception = io.exception(call.params["date"], call.body)
    found = uc.set_exception(_vid(call), exception, call.principal, deps.uow(), deps.clock)
    return Answer(io.view(found))


def delete_exception(deps: CatalogueDeps, call: Call) -> Answer:
    on = io.day(call.params["date"])
    found = uc.remove_exception(_vid(call), on, call.principal, deps.uow(), deps.clock)
    return Answer(io.view(found))


def put_location(deps: CatalogueDeps, call: Call) -> Answer:
    address, where, zone = io.location(call.body)
    uc.set_location(_vid(call), address, where, zone, call.principal, deps.uow(), deps.clock)
    return Answer(io.view(uc.show_catalogue(_vid(call), call.principal, deps.uow(), deps.clock)))


def get_availability(deps: CatalogueDeps, call: Call) -> Answer:
    within = io.interval(call.args.start, call.args.end)
    return Answer(io.windows(uc.availability(_vid(call), within, call.principal, deps.uow())))


_VIEW = (
    Reply(200, "The catalogue, with the exact location (owner and admins only)", shapes.Catalogue),
)


def _change(
    method: str,
    path: str,
    op_id: str,
    summary: str,
    handler: Callable[[CatalogueDeps, Call], Answer],
    *extra: Param,
    body: type[Any] | None = None,
) -> Operation:
    return Operation(
        method,
        BASE + path,
        op_id,
        summary,
        "catalogue",
        handler,
        _VIEW,
        roles=OWNER,
        body=body,
        params=(VENDOR, *extra),
        problems=(404, 409),
    )


OPERATIONS = (
    Operation(
        "GET",
        BASE + "/catalogue",
        "getCatalogue",
        "The vendor's own catalogue",
        "catalogue",
        get_catalogue,
        _VIEW,
        roles=OWNER,
        params=(VENDOR,),
        problems=(404,),
    ),
    _change(
        "PUT",
        "/catalogue/services/{service_type}",
        "putService",
        "Add or change a service",
        put_service,
        SERVICE,
        body=shapes.ServiceOffer,
    ),
    _change(
        "DELETE",
        "/catalogue/services/{service_type}",
        "deleteService",
        "Stop offering a service",
        delete_service,
        SERVICE,
    ),
    _change(
        "PUT",
        "/catalogue/hours",
        "putHours",
        "Replace the weekly hours",
        put_hours,
        body=shapes.WeeklyHours,
    ),
    _change(
        "PUT",
        "/catalogue/exceptions/{date}",
        "putException",
        "Close a date or give it its own hours",
        put_exception,
        DATE,
        body=shapes.DateHours,
    ),
    _change(
        "DELETE",
        "/catalogue/exceptions/{date}",
        "deleteException",
        "Back to the weekly hours on a date",
        delete_exception,
        DATE,
    ),
    _change(
        "PUT",
        "/catalogue/location",
        "putLocation",
        "Set the exact location and public zone",
        put_location,
        body=shapes.Place,
    ),
    Operation(
        "GET",
        BASE + "/availability",
        "getAvailability",
        "Open and free windows",
        "catalogue",
        get_availability,
        (
            Reply(
                200,
                "Open windows from the rules, and the part no booking occupies",
                shapes.Availability,
            ),
        ),
        roles=OWNER,
        params=(VENDOR,),
        query=shapes.AvailabilityQuery,
        problems=(404,),
    ),
)


def routes(deps: CatalogueDeps) -> list[BaseRoute]:
    return bind(OPERATIONS, deps, auth=Auth(deps.uow, deps.clock))
