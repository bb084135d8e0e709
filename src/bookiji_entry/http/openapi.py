"""GET /openapi.json: an OpenAPI 3.1 document assembled from the route modules' fragments."""

from __future__ import annotations

import copy
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bookiji_entry.bootstrap import Services
from bookiji_entry.http._io import Call, endpoint
from bookiji_entry.problems import MEDIA_TYPE

VERSION = "0.1.0"


def _problem_response(description: str, *, bearer: bool = False) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if bearer:
        response["headers"] = {
            "WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}
        }
    return response


_SHARED: dict[str, Any] = {
    "securitySchemes": {
        "bearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "description": "An opaque token per customer, vendor or admin, stored hashed",
        }
    },
    "schemas": {
        "Money": {
            "type": "object",
            "required": ["amount", "currency"],
            "properties": {
                "amount": {"type": "integer", "description": "Minor units (cents)"},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            },
        },
        "Problem": {
            "type": "object",
            "description": "RFC 9457 problem details, with a stable machine-readable code",
            "required": ["type", "title", "status", "detail", "code"],
            "properties": {
                "type": {"type": "string", "format": "uri"},
                "title": {"type": "string"},
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "detail": {"type": "string"},
                "code": {"type": "string", "examples": ["slot_taken"]},
                "field": {"type": "string", "description": "The invalid input, if any"},
            },
        },
    },
    "responses": {
        "MalformedJson": _problem_response("malformed_json: the body is not a JSON object"),
        "Unauthenticated": _problem_response(
            "unauthenticated: no or unknown bearer token", bearer=True
        ),
        "Forbidden": _problem_response("forbidden: the caller's role may not do this"),
        "NotFound": _problem_response(
            "not_found, quote_not_found, booking_not_found (someone else's reads as absent)"
        ),
        "Conflict": _problem_response(
            "slot_taken, illegal_transition, idempotency_key_in_progress, concurrent_update"
        ),
        "Gone": _problem_response("quote_expired: ask for a new quote"),
        "BodyTooLarge": _problem_response("body_too_large: the body exceeds 64 KiB"),
        "Unprocessable": _problem_response(
            "invalid_input (with `field`), time_in_past, provider_not_candidate, "
            "no_providers_available, idempotency_key_reused"
        ),
        "InternalError": _problem_response("internal_error: a bug, logged on the server"),
    },
}


def document() -> dict[str, Any]:
    # Imported here: the package imports this module while discovering route modules.
    from bookiji_entry.http import route_modules

    components = copy.deepcopy(_SHARED)
    paths: dict[str, Any] = {}
    for module in route_modules():
        paths.update(getattr(module, "OPENAPI_PATHS", {}))
        for section, entries in getattr(module, "OPENAPI_COMPONENTS", {}).items():
            components.setdefault(section, {}).update(entries)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Bookiji booking core",
            "version": VERSION,
            "description": (
                "Quote nearby providers, confirm with a $1 commitment hold, follow the booking. "
                "Every error is an application/problem+json body with a stable `code`."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": components,
    }


def routes(_services: Services) -> list[BaseRoute]:
    body = JSONResponse(document()).body  # built once per app, not per request

    def get_openapi(_call: Call) -> Response:
        return Response(body, media_type="application/json")

    return [Route("/openapi.json", endpoint(get_openapi), methods=["GET"])]


OPENAPI_PATHS: dict[str, Any] = {
    "/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This document",
            "tags": ["operations"],
            "security": [],
            "responses": {
                "200": {
                    "description": "OpenAPI 3.1",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    }
}
