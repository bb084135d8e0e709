"""GET /openapi.json: the OpenAPI 3.1 document, generated from the operations that every route
module declares (http/_spec.py) and the shapes they name (bookiji_entry.shapes)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from bookiji_entry.http._io import Call
from bookiji_entry.http._spec import RETRY_LATER, Operation, Param, Reply, bind
from bookiji_entry.http.admission import EXEMPT_PATHS as ADMISSION_EXEMPT
from bookiji_entry.http.hardening import EXEMPT_PATHS as RATE_EXEMPT
from bookiji_entry.problems import (
    MEDIA_TYPE,
    PROBLEMS,
    WEBHOOK_RETRY_CODES,
    WEBHOOK_RETRY_STATUS,
    status_for,
)
from bookiji_entry.shapes.problems import Problem

VERSION = "0.1.0"
REF = "#/components/schemas/{name}"

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
_BY_STATUS = {status: name for name, status in PROBLEM_RESPONSES.items()}

_SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "An opaque token per customer, vendor or admin, stored hashed",
    }
}


def _problem_response(description: str, *, bearer: bool = False) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {MEDIA_TYPE: {"schema": {"$ref": REF.format(name="Problem")}}},
    }
    if bearer:
        response["headers"] = {
            "WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}
        }
    return response


def _problem_responses() -> dict[str, Any]:
    found = {
        name: _problem_response(
            "Problem codes: " + ", ".join(sorted(c for c in PROBLEMS if status_for(c) == status)),
            bearer=status == 401,
        )
        for name, status in PROBLEM_RESPONSES.items()
    }
    found[RETRY_LATER] = _problem_response(
        f"Problem codes: {', '.join(WEBHOOK_RETRY_CODES)} (the booking is busy or the provider "
        f"cannot be read; answered {WEBHOOK_RETRY_STATUS} with Retry-After so that Stripe retries)"
    )
    return found


def operations() -> list[Operation]:
    # Imported here: the package imports this module while discovering route modules.
    from bookiji_entry.http import route_modules

    return [op for module in route_modules() for op in getattr(module, "OPERATIONS", ())]


def document(ops: Iterable[Operation] | None = None) -> dict[str, Any]:
    ops = list(operations() if ops is None else ops)
    shapes = _shapes(ops)
    refs, schemas = msgspec.json.schema_components(shapes, ref_template=REF)
    ref = dict(zip(shapes, refs, strict=True))
    for shape in shapes:  # rules between fields, declared on the shape beside its fields
        schemas[shape.__name__].update(getattr(shape, "json_schema_rules", {}))
    paths: dict[str, Any] = {}
    for op in ops:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, ref)
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
        "components": {
            "securitySchemes": _SECURITY_SCHEMES,
            "schemas": schemas,
            "responses": _problem_responses(),
        },
    }


def _shapes(ops: list[Operation]) -> tuple[Any, ...]:
    found: list[Any] = [Problem]
    for op in ops:
        found += [t for t in (op.body, op.query) if t is not None]
        found += [r.shape for r in op.replies if r.shape is not None]
    unique = tuple(dict.fromkeys(found))
    names = [getattr(t, "__name__", repr(t)) for t in unique]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise TypeError(f"two shapes share the component name(s) {duplicated}")
    return unique


def _operation(op: Operation, ref: dict[Any, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {"operationId": op.id, "summary": op.summary, "tags": [op.tag]}
    description = op.description
    if op.roles:
        description = f"{description} Roles: {', '.join(r.value for r in op.roles)}.".strip()
    if description:
        found["description"] = description
    found["security"] = [] if op.roles is None else [{"bearerAuth": []}]
    parameters = [_parameter(p) for p in op.params] + _query(op.query)
    if parameters:
        found["parameters"] = parameters
    if op.body is not None:
        found["requestBody"] = {
            "required": op.body_required,
            "content": {"application/json": {"schema": ref[op.body]}},
        }
    responses: dict[str, Any] = {str(r.status): _reply(r, ref) for r in op.replies}
    for status, name in _problems(op):
        responses[status] = {"$ref": f"#/components/responses/{name}"}
    found["responses"] = responses
    return found


def _problems(op: Operation) -> list[tuple[str, str]]:
    wanted: list[int | str] = list(op.problems)
    if op.roles is not None:
        wanted += [401, 403]
    if op.body is not None:
        wanted += [400, 413, 422]
    if op.query is not None or any(p.where == "path" for p in op.params):
        wanted.append(422)
    if op.path not in RATE_EXEMPT:  # the rate limits of http/hardening.py
        wanted.append(429)
    wanted.append(500)
    found: dict[str, str] = {}
    if op.path not in ADMISSION_EXEMPT:  # admission control's 503 (http/admission.py)
        found["503"] = _BY_STATUS[503]
    for item in wanted:
        if isinstance(item, str):
            found[str(WEBHOOK_RETRY_STATUS)] = item
        else:
            found[str(item)] = _BY_STATUS[item]
    return sorted(found.items())


def _reply(reply: Reply, ref: dict[Any, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {"description": reply.description}
    if reply.headers:
        found["headers"] = {name: {"schema": s} for name, s in reply.headers.items()}
    schema = ref[reply.shape] if reply.shape is not None else reply.schema
    if schema is not None:
        found["content"] = {reply.media_type: {"schema": schema}}
    return found


def _parameter(param: Param) -> dict[str, Any]:
    schema = msgspec.json.schema(param.type)
    defs = schema.pop("$defs", {})
    if "$ref" in schema:  # an enum of the core: inlined, a parameter is one value
        schema = {**defs[schema["$ref"].rsplit("/", 1)[1]]}
        schema.pop("title", None)
    description = schema.pop("description", None)
    found = {"name": param.name, "in": param.where, "required": param.required, "schema": schema}
    if description:
        found["description"] = description
    return found


def _query(shape: type[Any] | None) -> list[dict[str, Any]]:
    if shape is None:
        return []
    _refs, schemas = msgspec.json.schema_components([shape], ref_template=REF)
    own = schemas[shape.__name__]
    required = set(own.get("required", ()))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": schema}
        for name, schema in own["properties"].items()
    ]


def _openapi(body: bytes, _call: Call) -> Response:
    return Response(body, media_type="application/json")


OPERATIONS = (
    Operation(
        "GET",
        "/openapi.json",
        "openapi",
        "This document",
        "operations",
        _openapi,
        (Reply(200, "OpenAPI 3.1", schema={"type": "object"}),),
        roles=None,
    ),
)


def routes() -> list[BaseRoute]:
    body = JSONResponse(document()).body  # built once per app, not per request
    return bind(OPERATIONS, body)
