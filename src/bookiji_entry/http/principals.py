"""Admins invite people and list, rotate and revoke their tokens over HTTP."""

from __future__ import annotations

from functools import partial
from typing import Any

import attrs
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bookiji_core.ports import Clock, Ids, UnitOfWorkFactory
from bookiji_core.usecases.principals import (
    TokenPolicy,
    invite,
    list_principals,
    revoke,
    rotate,
)
from bookiji_entry import inputs
from bookiji_entry.http._io import Call, endpoint, principal
from bookiji_entry.principals import (
    ROLES,
    invitation,
    new_token,
    render_issued,
    render_summary,
)

# A token in a response must not be kept by a cache or a proxy.
PRIVATE = {"Cache-Control": "no-store"}


@attrs.frozen
class PrincipalDeps:
    """What the principals routes use."""

    uow: UnitOfWorkFactory
    clock: Clock
    ids: Ids
    tokens: TokenPolicy


def post_invite(deps: PrincipalDeps, call: Call) -> Response:
    caller = principal(call, deps.uow, deps.clock)
    invited = invitation(call.json())
    issued = invite(
        invited,
        caller,
        new_token(),
        deps.tokens,
        deps.uow(),
        deps.clock,
        deps.ids,
    )
    return JSONResponse(render_issued(issued), status_code=201, headers=PRIVATE)


def get_list(deps: PrincipalDeps, call: Call) -> Response:
    caller = principal(call, deps.uow, deps.clock)
    found = list_principals(caller, deps.uow(), deps.clock)
    return JSONResponse({"principals": [render_summary(s) for s in found]}, headers=PRIVATE)


def post_rotate(deps: PrincipalDeps, call: Call) -> Response:
    caller = principal(call, deps.uow, deps.clock)
    reason = inputs.optional_reason(call.json(required=False), "rotated")
    issued = rotate(
        call.path_params["subject_id"],
        caller,
        new_token(),
        deps.tokens,
        deps.uow(),
        deps.clock,
        reason,
    )
    return JSONResponse(render_issued(issued), headers=PRIVATE)


def post_revoke(deps: PrincipalDeps, call: Call) -> Response:
    caller = principal(call, deps.uow, deps.clock)
    reason = inputs.optional_reason(call.json(), "")
    subject_id = call.path_params["subject_id"]
    summary = revoke(subject_id, caller, reason, deps.uow(), deps.clock)
    return JSONResponse(render_summary(summary), headers=PRIVATE)


def routes(deps: PrincipalDeps) -> list[BaseRoute]:
    def bind(handler: Any, *, body: bool = False) -> Any:
        return endpoint(partial(handler, deps), body=body)

    return [
        Route("/api/principals", bind(post_invite, body=True), methods=["POST"]),
        Route("/api/principals", bind(get_list), methods=["GET"]),
        Route(f"{_ONE}/rotate", bind(post_rotate, body=True), methods=["POST"]),
        Route(f"{_ONE}/revoke", bind(post_revoke, body=True), methods=["POST"]),
    ]


_ONE = "/api/principals/{subject_id}"


def _problems(*statuses: str) -> dict[str, Any]:
    names = {
        "400": "BadRequest",
        "401": "Unauthenticated",
        "403": "Forbidden",
        "404": "NotFound",
        "409": "Conflict",
        "413": "BodyTooLarge",
        "422": "Unprocessable",
        "500": "InternalError",
    }
    return {s: {"$ref": f"#/components/responses/{names[s]}"} for s in (*statuses, "500")}


def _json(schema: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


def _body(schema: dict[str, Any], *, required: bool) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


_ADMIN = {"security": [{"bearerAuth": []}], "tags": ["principals"], "description": "Admin only."}
_SUBJECT = [
    {
        "name": "subject_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "maxLength": 64},
        "description": "A principal's subject id (cus_..., ven_..., adm_...)",
    }
]
_REASON = {"type": "string", "minLength": 1, "maxLength": 500}
_TIME = {"type": ["string", "null"], "format": "date-time"}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/principals": {
        "post": {
            **_ADMIN,
            "operationId": "invitePrincipal",
            "summary": "Create a customer, vendor (empty catalogue) or admin, and its token",
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["role", "name", "email"],
                    "properties": {
                        "role": {"enum": list(ROLES)},
                        "name": {"type": "string", "minLength": 1, "maxLength": 200},
                        "email": {"type": "string", "maxLength": 254},
                        "phone": {"type": "string", "maxLength": 32},
                    },
                },
                required=True,
            ),
            "responses": {
                "201": {"description": "The token, shown only now", "content": _json("Issued")},
                **_problems("400", "401", "403", "413", "422"),
            },
        },
        "get": {
            **_ADMIN,
            "operationId": "listPrincipals",
            "summary": "Every principal and the state of its newest token (never a token)",
            "responses": {
                "200": {"description": "The principals", "content": _json("PrincipalList")},
                **_problems("401", "403"),
            },
        },
    },
    f"{_ONE}/rotate": {
        "post": {
            **_ADMIN,
            "operationId": "rotatePrincipal",
            "summary": "A new token; the person's old tokens stop working at once",
            "parameters": _SUBJECT,
            "requestBody": _body(
                {"type": "object", "properties": {"reason": _REASON}}, required=False
            ),
            "responses": {
                "200": {"description": "The new token, shown only now", "content": _json("Issued")},
                **_problems("400", "401", "403", "404", "409", "413", "422"),
            },
        }
    },
    f"{_ONE}/revoke": {
        "post": {
            **_ADMIN,
            "operationId": "revokePrincipal",
            "summary": "Every token of the person stops working at once, in every process",
            "parameters": _SUBJECT,
            "requestBody": _body(
                {"type": "object", "required": ["reason"], "properties": {"reason": _REASON}},
                required=True,
            ),
            "responses": {
                "200": {"description": "The principal, revoked", "content": _json("Principal")},
                **_problems("400", "401", "403", "404", "413", "422"),
            },
        }
    },
}

OPENAPI_COMPONENTS: dict[str, Any] = {
    "schemas": {
        "Issued": {
            "type": "object",
            "required": ["subject_id", "role", "token", "expires_at"],
            "properties": {
                "subject_id": {"type": "string"},
                "role": {"enum": list(ROLES)},
                "token": {"type": "string", "description": "Shown once; stored only hashed"},
                "expires_at": {"type": "string", "format": "date-time"},
            },
        },
        "Principal": {
            "type": "object",
            "required": ["subject_id", "role", "state", "tokens"],
            "properties": {
                "subject_id": {"type": "string"},
                "role": {"enum": list(ROLES)},
                "state": {"enum": ["active", "expired", "revoked"]},
                "tokens": {"type": "integer", "minimum": 1},
                "issued_at": _TIME,
                "expires_at": _TIME,
                "revoked_at": _TIME,
            },
        },
        "PrincipalList": {
            "type": "object",
            "required": ["principals"],
            "properties": {
                "principals": {"type": "array", "items": {"$ref": "#/components/schemas/Principal"}}
            },
        },
    }
}
