"""Privacy requests over HTTP: a person's export, their deletion, and where it stands."""

from __future__ import annotations

from functools import partial
from typing import Any

import attrs
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bookiji_core.ports import Clock, Telemetry, UnitOfWorkFactory
from bookiji_core.usecases.privacy import (
    SubjectStatus,
    export_subject,
    privacy_status,
    request_deletion,
)
from bookiji_core.usecases.privacy_records import tombstone as render_tombstone
from bookiji_entry import inputs
from bookiji_entry.http._io import Call, endpoint, principal

# Personal data must not linger in shared caches or proxies.
PRIVATE = {"Cache-Control": "no-store"}


@attrs.frozen
class PrivacyDeps:
    """What the privacy routes use."""

    uow: UnitOfWorkFactory
    clock: Clock
    telemetry: Telemetry


def get_export(deps: PrivacyDeps, call: Call) -> Response:
    caller = principal(call, deps.uow, deps.clock)
    subject_id = call.path_params["subject_id"]
    export = export_subject(subject_id, caller, deps.uow(), deps.clock, deps.telemetry)
    disposition = f'attachment; filename="bookiji-export-{subject_id}.json"'
    return JSONResponse(export, headers={**PRIVATE, "Content-Disposition": disposition})


def post_delete(deps: PrivacyDeps, call: Call) -> Response:
    caller = principal(call, deps.uow, deps.clock)
    subject_id = call.path_params["subject_id"]
    default = "asked by the person" if caller.subject_id == subject_id else "privacy request"
    reason = inputs.optional_reason(call.json(required=False), default)
    tombstone = request_deletion(subject_id, caller, reason, deps.uow(), deps.clock)
    status = SubjectStatus(subject_id, tombstone.subject_kind, tombstone)
    headers = {**PRIVATE, "Location": f"/api/privacy/subjects/{subject_id}"}
    return JSONResponse(render_status(status), status_code=202, headers=headers)


def get_status(deps: PrivacyDeps, call: Call) -> Response:
    caller = principal(call, deps.uow, deps.clock)
    status = privacy_status(call.path_params["subject_id"], caller, deps.uow())
    return JSONResponse(render_status(status), headers=PRIVATE)


def render_status(status: SubjectStatus) -> dict[str, Any]:
    return {
        "subject_id": status.subject_id,
        "kind": status.kind.value,
        "deletion": None if status.tombstone is None else render_tombstone(status.tombstone),
    }


def routes(deps: PrivacyDeps) -> list[BaseRoute]:
    def bind(handler: Any, *, body: bool = False) -> Any:
        return endpoint(partial(handler, deps), body=body)

    base = "/api/privacy/subjects/{subject_id}"
    return [
        Route(base, bind(get_status), methods=["GET"]),
        Route(f"{base}/export", bind(get_export), methods=["GET"]),
        Route(f"{base}/delete", bind(post_delete, body=True), methods=["POST"]),
    ]


def _problems(*statuses: str) -> dict[str, Any]:
    names = {
        "401": "Unauthenticated",
        "403": "Forbidden",
        "404": "NotFound",
        "413": "BodyTooLarge",
        "400": "BadRequest",
        "422": "Unprocessable",
        "500": "InternalError",
    }
    return {s: {"$ref": f"#/components/responses/{names[s]}"} for s in (*statuses, "500")}


def _json(schema: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


_SECURED = {"security": [{"bearerAuth": []}], "tags": ["privacy"]}
_SUBJECT = [
    {
        "name": "subject_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "maxLength": 64},
        "description": "A customer or vendor id (cus_..., ven_...)",
    }
]
_WHO = "The person themself, or an admin (privacy officer)."

OPENAPI_PATHS: dict[str, Any] = {
    "/api/privacy/subjects/{subject_id}": {
        "get": {
            **_SECURED,
            "operationId": "privacyStatus",
            "summary": "Whether a deletion was asked for, and whether the shredder has done it",
            "description": _WHO,
            "parameters": _SUBJECT,
            "responses": {
                "200": {"description": "The subject's status", "content": _json("PrivacyStatus")},
                **_problems("401", "403", "404"),
            },
        }
    },
    "/api/privacy/subjects/{subject_id}/export": {
        "get": {
            **_SECURED,
            "operationId": "privacyExport",
            "summary": "Every record about the person, across the schema (access-logged)",
            "description": (
                f"{_WHO} Profile, logins, quotes, bookings with their audit trail and (for a "
                "customer) payment messages and ledger entries, idempotency keys, and the "
                "access-log entries about them. The export itself is access-logged with "
                "purpose `privacy.export` in the same transaction."
            ),
            "parameters": _SUBJECT,
            "responses": {
                "200": {
                    "description": "The export (format `bookiji.privacy.export/1`)",
                    "content": _json("PrivacyExport"),
                },
                **_problems("401", "403", "404"),
            },
        }
    },
    "/api/privacy/subjects/{subject_id}/delete": {
        "post": {
            **_SECURED,
            "operationId": "privacyDelete",
            "summary": "Delete the person: tombstone now, shred in the background",
            "description": (
                f"{_WHO} The person is deleted at once: their logins stop working and a vendor "
                "is no longer quoted. The shredder then overwrites their personal data, "
                "keeping bookings and ledger amounts under pseudonymous ids. Asking again "
                "returns the first request's tombstone."
            ),
            "parameters": _SUBJECT,
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {"reason": {"type": "string", "maxLength": 500}},
                        }
                    }
                },
            },
            "responses": {
                "202": {
                    "description": "Accepted: the tombstone; poll the Location for `shredded`",
                    "headers": {"Location": {"schema": {"type": "string"}}},
                    "content": _json("PrivacyStatus"),
                },
                **_problems("400", "401", "403", "404", "413", "422"),
            },
        }
    },
}

_TIME = {"type": "string", "format": "date-time"}

OPENAPI_COMPONENTS: dict[str, Any] = {
    "schemas": {
        "Tombstone": {
            "type": "object",
            "required": ["subject_id", "subject_kind", "state", "requested_by", "requested_at"],
            "properties": {
                "subject_id": {"type": "string"},
                "subject_kind": {"enum": ["customer", "vendor"]},
                "state": {"enum": ["pending", "shredded"]},
                "requested_by": {"type": "string"},
                "requested_at": _TIME,
                "reason": {"type": "string"},
                "shredded_at": {"oneOf": [_TIME, {"type": "null"}]},
            },
        },
        "PrivacyStatus": {
            "type": "object",
            "required": ["subject_id", "kind", "deletion"],
            "properties": {
                "subject_id": {"type": "string"},
                "kind": {"enum": ["customer", "vendor"]},
                "deletion": {
                    "oneOf": [{"$ref": "#/components/schemas/Tombstone"}, {"type": "null"}]
                },
            },
        },
        "PrivacyExport": {
            "type": "object",
            "required": [
                "format",
                "subject",
                "exported_at",
                "exported_by",
                "deletion",
                "logins",
                "profile",
                "quotes",
                "bookings",
                "idempotency_keys",
                "access_log",
            ],
            "properties": {
                "format": {"const": "bookiji.privacy.export/1"},
                "subject": {
                    "type": "object",
                    "required": ["id", "kind"],
                    "properties": {
                        "id": {"type": "string"},
                        "kind": {"enum": ["customer", "vendor"]},
                    },
                },
                "exported_at": _TIME,
                "exported_by": {"type": "string"},
                "deletion": {
                    "oneOf": [{"$ref": "#/components/schemas/Tombstone"}, {"type": "null"}]
                },
                "logins": {"type": "array", "items": {"type": "object"}},
                "profile": {"type": "object"},
                "quotes": {"type": "array", "items": {"type": "object"}},
                "bookings": {"type": "array", "items": {"type": "object"}},
                "idempotency_keys": {"type": "array", "items": {"type": "object"}},
                "access_log": {"type": "array", "items": {"type": "object"}},
            },
        },
    }
}
