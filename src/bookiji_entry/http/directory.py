"""GET /api/directory: the public vendor directory, while `beta.public_directory` is on (404
while it is off, the MVP default). No token: it holds nothing personal."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute

from bookiji_core.ports import UnitOfWorkFactory
from bookiji_core.usecases.directory import public_directory
from bookiji_entry.http._io import Call
from bookiji_entry.http._spec import Answer, Operation, Reply, bind
from bookiji_entry.problems import problem
from bookiji_entry.shapes.directory import Directory


def get_directory(uow: UnitOfWorkFactory, _call: Call) -> Answer | Response:
    zones = public_directory(uow())
    if zones is None:
        return problem("not_found", "there is no public directory (beta.public_directory is off)")
    return Answer(Directory.of(zones))


OPERATIONS = (
    Operation(
        "GET",
        "/api/directory",
        "publicDirectory",
        "Vendors by zone with services, rating and response time (beta)",
        "directory",
        get_directory,
        (Reply(200, "The directory", Directory),),
        roles=None,
        problems=(404,),
        description=(
            "Only while the beta.public_directory flag is on; 404 while it is off. Never a "
            "name, contact, address or exact position."
        ),
    ),
)


def routes(uow: UnitOfWorkFactory) -> list[BaseRoute]:
    return bind(OPERATIONS, uow)
