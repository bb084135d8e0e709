"""GET /openapi.json: an OpenAPI 3.1 document assembled from the route modules' fragments."""

from __future__ import annotations

import copy
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bookiji_entry.http._io import Call, endpoint
from bookiji_entry.problems import MEDIA_TYPE, PROBLEMS, status_for

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
                "correlation_id": {
                    "type": "string",
                    "description": "The request's X-Request-ID, as in the server's access log",
                },
            },
        },
    },
}

# Shared problem responses by status; their descriptions list the codes of the one table in
# problems.py, so the document cannot drift from what the app answers.
PROBLEM_RESPONSES = {
    "BadRequest": 400,
    "Unauthenticated": 401,
    "Forbidden": 403,
    "NotFound": 404,
    "MethodNotAllowed": 405,
    "Conflict": 409,
    "Gone": 410,
    "BodyTooLarge": 413,
    "Unprocessable": 422,
    "TooManyRequests": 429,
    "InternalError": 500,
    "BadGateway": 502,
    "NotReady": 503,
}
# Admission control's 503 (http/admission.py) shares the status, so the same component.
OVERLOADED = {"$ref": "#/components/responses/NotReady"}


def _problem_responses() -> dict[str, Any]:
    return {
        name: _problem_response(
            "Problem codes: " + ", ".join(sorted(c for c in PROBLEMS if status_for(c) == status)),
            bearer=status == 401,
        )
        for name, status in PROBLEM_RESPONSES.items()
    }


def document() -> dict[str, Any]:
    # Imported here: the package imports this module while discovering route modules.
    from bookiji_entry.http import route_modules

    components = copy.deepcopy(_SHARED)
    components["responses"] = _problem_responses()
    paths: dict[str, Any] = {}
    for module in route_modules():
        paths.update(getattr(module, "OPENAPI_PATHS", {}))
        for section, entries in getattr(module, "OPENAPI_COMPONENTS", {}).items():
            components.setdefault(section, {}).update(entries)
    _rate_limited(paths)
    _overloadable(paths)
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


def _rate_limited(paths: dict[str, Any]) -> None:
    """Every operation the rate limits cover (http/hardening.py) may answer 429."""
    from bookiji_entry.http.hardening import EXEMPT_PATHS

    for path, operations in paths.items():
        if path in EXEMPT_PATHS:
            continue
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault(
                    "429", {"$ref": "#/components/responses/TooManyRequests"}
                )


def _overloadable(paths: dict[str, Any]) -> None:
    """Every operation admission control covers (http/admission.py) may answer 503."""
    from bookiji_entry.http.admission import EXEMPT_PATHS

    for path, operations in paths.items():
        if path in EXEMPT_PATHS:
            continue
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault("503", OVERLOADED)


def routes() -> list[BaseRoute]:
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
