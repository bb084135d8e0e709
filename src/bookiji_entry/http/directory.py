"""GET /api/directory: the public vendor directory, while `beta.public_directory` is on (404
while it is off, the MVP default). No token: it holds nothing personal."""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bookiji_core.ports import UnitOfWorkFactory
from bookiji_core.usecases.directory import public_directory
from bookiji_entry.http._io import Call, endpoint
from bookiji_entry.problems import problem


def get_directory(uow: UnitOfWorkFactory, _call: Call) -> Response:
    zones = public_directory(uow())
    if zones is None:
        return problem("not_found", "there is no public directory (beta.public_directory is off)")
    return JSONResponse(
        {
            "zones": [
                {
                    "zone": z.zone,
                    "vendors": [
                        {
                            "provider_id": v.provider_id,
                            "services": list(v.services),
                            "rating": v.rating,
                            "response_minutes": v.response_minutes,
                        }
                        for v in z.vendors
                    ],
                }
                for z in zones
            ]
        }
    )


def routes(uow: UnitOfWorkFactory) -> list[BaseRoute]:
    return [Route("/api/directory", endpoint(partial(get_directory, uow)), methods=["GET"])]


OPENAPI_PATHS: dict[str, Any] = {
    "/api/directory": {
        "get": {
            "operationId": "publicDirectory",
            "summary": "Vendors by zone with services, rating and response time (beta)",
            "description": (
                "Only while the beta.public_directory flag is on; 404 while it is off. Never a "
                "name, contact, address or exact position."
            ),
            "tags": ["directory"],
            "security": [],
            "responses": {
                "200": {
                    "description": "The directory",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Directory"}}
                    },
                },
                "404": {"$ref": "#/components/responses/NotFound"},
            },
        }
    }
}

OPENAPI_COMPONENTS: dict[str, Any] = {
    "schemas": {
        "Directory": {
            "type": "object",
            "required": ["zones"],
            "properties": {
                "zones": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["zone", "vendors"],
                        "properties": {
                            "zone": {"type": "string"},
                            "vendors": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "required": [
                                        "provider_id",
                                        "services",
                                        "rating",
                                        "response_minutes",
                                    ],
                                    "properties": {
                                        "provider_id": {"type": "string"},
                                        "services": {"type": "array", "items": {"type": "string"}},
                                        "rating": {"type": "number"},
                                        "response_minutes": {"type": "integer"},
                                    },
                                },
                            },
                        },
                    },
                }
            },
        }
    }
}
