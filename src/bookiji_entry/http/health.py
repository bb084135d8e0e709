"""Liveness (/healthz: the process answers) and readiness (/readyz: the database answers)."""

from __future__ import annotations

import logging

from starlette.responses import Response
from starlette.routing import BaseRoute

from bookiji_core.ports import UnitOfWorkFactory
from bookiji_core.values import VendorId
from bookiji_entry.http._io import Call
from bookiji_entry.http._spec import Answer, Operation, Reply, bind
from bookiji_entry.problems import problem
from bookiji_entry.shapes.common import Status

log = logging.getLogger(__name__)


def healthz(_unit_of_work: UnitOfWorkFactory, _call: Call) -> Answer:
    return Answer(Status("ok"))


def readyz(unit_of_work: UnitOfWorkFactory, _call: Call) -> Answer | Response:
    try:
        with unit_of_work() as uow:
            uow.vendors.get(VendorId("readyz-probe"))
    except Exception as exc:  # any failure to reach the database means "not ready"
        log.warning("readiness probe failed: %r", exc)
        return problem("not_ready", "the database is not reachable")
    return Answer(Status("ready"))


OPERATIONS = (
    Operation(
        "GET",
        "/healthz",
        "healthz",
        "The process is alive",
        "operations",
        healthz,
        (Reply(200, "Alive", Status),),
        roles=None,
    ),
    Operation(
        "GET",
        "/readyz",
        "readyz",
        "The database answers a trivial transaction",
        "operations",
        readyz,
        (Reply(200, "Ready", Status),),
        roles=None,
        problems=(503,),
    ),
)


def routes(uow: UnitOfWorkFactory) -> list[BaseRoute]:
    return bind(OPERATIONS, uow)
