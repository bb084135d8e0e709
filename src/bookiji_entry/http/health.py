"""Liveness (/healthz: the process answers) and readiness (/readyz: the database answers)."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bookiji_core.ports import UnitOfWorkFactory
from bookiji_core.values import VendorId
from bookiji_entry.http._io import Call, endpoint
from bookiji_entry.problems import problem

log = logging.getLogger(__name__)


def healthz(_call: Call) -> Response:
    return JSONResponse({"status": "ok"})


def readyz(unit_of_work: UnitOfWorkFactory, _call: Call) -> Response:
    try:
        with unit_of_work() as uow:
            uow.vendors.get(VendorId("readyz-probe"))
    except Exception as exc:  # any failure to reach the database means "not ready"
        log.warning("readiness probe failed: %r", exc)
        return problem("not_ready", "the database is not reachable")
    return JSONResponse({"status": "ready"})


def routes(uow: UnitOfWorkFactory) -> list[BaseRoute]:
    return [
        Route("/healthz", endpoint(healthz), methods=["GET"]),
        Route("/readyz", endpoint(partial(readyz, uow)), methods=["GET"]),
    ]


_STATUS = {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}

OPENAPI_PATHS: dict[str, Any] = {
    "/healthz": {
        "get": {
            "operationId": "healthz",
            "summary": "The process is alive",
            "tags": ["operations"],
            "security": [],
            "responses": {"200": {"description": "Alive", "content": _STATUS}},
        }
    },
    "/readyz": {
        "get": {
            "operationId": "readyz",
            "summary": "The database answers a trivial transaction",
            "tags": ["operations"],
            "security": [],
            "responses": {
                "200": {"description": "Ready", "content": _STATUS},
                "503": {"$ref": "#/components/responses/NotReady"},
            },
        }
    },
}

OPENAPI_COMPONENTS: dict[str, Any] = {
    "schemas": {
        "Status": {
            "type": "object",
            "required": ["status"],
            "properties": {"status": {"type": "string", "enum": ["ok", "ready"]}},
        }
    },
}
