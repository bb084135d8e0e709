"""Bookings: confirm a quote (idempotent), read them, and move them through their lifecycle."""

from __future__ import annotations

from functools import partial
from typing import Any

import attrs
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bookiji_core.errors import InvalidInput
from bookiji_core.policy import BookingPolicy
from bookiji_core.ports import Clock, Ids, UnitOfWorkFactory
from bookiji_core.usecases import (
    cancel_booking,
    confirm_booking,
    confirm_by_provider,
    get_booking,
    list_bookings,
)
from bookiji_entry import inputs, render
from bookiji_entry.http._io import Call, endpoint, principal

MAX_LIST = 100


@attrs.frozen
class BookingDeps:
    """What the booking routes use."""

    uow: UnitOfWorkFactory
    clock: Clock
    ids: Ids
    booking_policy: BookingPolicy  # T


def post_confirm(deps: BookingDeps, call: Call) -> Response:
    caller = principal(call, deps.uow, deps.clock)
    command = inputs.confirm_command(call.json(), caller, call.headers.get("idempotency-key"))
    result = confirm_booking(command, deps.uow(), deps.clock, deps.ids, deps.booking_policy)
    booking = result.booking
    headers = {"Location": f"/api/bookings/{booking.id}"}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(
        render.booking(booking), status_code=200 if result.replayed else 201, headers=headers
    )


def get_one(deps: BookingDeps, call: Call) -> Response:
    caller = principal(call, deps.uow, deps.clock)
    view = get_booking(call.path_params["booking_id"], caller, deps.uow(), deps.clock)
    return JSONResponse(render.booking_view(view))


def get_list(deps: BookingDeps, call: Call) -> Response:
    caller = principal(call, deps.uow, deps.clock)
    limit = _limit(call.query.get("limit"))
    found = list_bookings(caller, deps.uow(), limit=limit)
    return JSONResponse({"bookings": [render.booking(b) for b in found]})


def post_provider_confirm(deps: BookingDeps, call: Call) -> Response:
    caller = principal(call, deps.uow, deps.clock)
    booking = confirm_by_provider(
        call.path_params["booking_id"], caller, deps.uow(), deps.clock, deps.ids
    )
    return JSONResponse(render.booking(booking))


def post_cancel(deps: BookingDeps, call: Call) -> Response:
    caller = principal(call, deps.uow, deps.clock)
    reason = inputs.optional_reason(call.json(required=False), f"cancelled by {caller.role}")
    booking = cancel_booking(
        call.path_params["booking_id"],
        caller,
        deps.uow(),
        deps.clock,
        deps.ids,
        reason,
    )
    return JSONResponse(render.booking(booking))


def _limit(text: str | None) -> int:
    if text is None:
        return MAX_LIST
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIST:
        raise InvalidInput("limit", f"limit must be an integer between 1 and {MAX_LIST}")
    return int(text)


def routes(deps: BookingDeps) -> list[BaseRoute]:
    def bind(handler: Any, *, body: bool = False) -> Any:
        return endpoint(partial(handler, deps), body=body)

    return [
        Route("/api/bookings/confirm", bind(post_confirm, body=True), methods=["POST"]),
        Route("/api/bookings", bind(get_list), methods=["GET"]),
        Route("/api/bookings/{booking_id}", bind(get_one), methods=["GET"]),
        Route(
            "/api/bookings/{booking_id}/provider-confirm",
            bind(post_provider_confirm),
            methods=["POST"],
        ),
        Route("/api/bookings/{booking_id}/cancel", bind(post_cancel, body=True), methods=["POST"]),
    ]


def _problems(*statuses: str) -> dict[str, Any]:
    names = {
        "400": "BadRequest",
        "401": "Unauthenticated",
        "403": "Forbidden",
        "404": "NotFound",
        "409": "Conflict",
        "410": "Gone",
        "413": "BodyTooLarge",
        "422": "Unprocessable",
        "500": "InternalError",
    }
    return {s: {"$ref": f"#/components/responses/{names[s]}"} for s in (*statuses, "500")}


_BOOKING = {"application/json": {"schema": {"$ref": "#/components/schemas/Booking"}}}
_SECURED = {"security": [{"bearerAuth": []}], "tags": ["bookings"]}
_ID = [{"$ref": "#/components/parameters/BookingId"}]

OPENAPI_PATHS: dict[str, Any] = {
    "/api/bookings/confirm": {
        "post": {
            **_SECURED,
            "operationId": "confirmBooking",
            "summary": "Book a quoted provider: claim the slot and queue the $1 hold, once",
            "description": (
                "One transaction claims the provider's slot, creates the booking in "
                "`hold_placed` and queues the hold in the payments outbox. A retry with the same "
                "`Idempotency-Key` and body replays the booking (200, `Idempotent-Replayed: "
                "true`); the same key with another body is a 422; a retry while the first "
                "request still runs is a 409. Keys are kept for 24 hours."
            ),
            "parameters": [{"$ref": "#/components/parameters/IdempotencyKey"}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ConfirmRequest"}}
                },
            },
            "responses": {
                "201": {
                    "description": "The booking, created",
                    "headers": {
                        "Location": {"schema": {"type": "string"}},
                    },
                    "content": _BOOKING,
                },
                "200": {
                    "description": "The booking this key created before, replayed",
                    "headers": {
                        "Idempotent-Replayed": {"schema": {"type": "string", "const": "true"}},
                        "Location": {"schema": {"type": "string"}},
                    },
                    "content": _BOOKING,
                },
                **_problems("400", "401", "403", "404", "409", "410", "413", "422"),
            },
        }
    },
    "/api/bookings": {
        "get": {
            **_SECURED,
            "operationId": "listBookings",
            "summary": "The caller's bookings: a customer's own, a vendor's, or all for an admin",
            "parameters": [
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIST},
                }
            ],
            "responses": {
                "200": {
                    "description": "Newest first",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/BookingList"}}
                    },
                },
                **_problems("401", "422"),
            },
        }
    },
    "/api/bookings/{booking_id}": {
        "get": {
            **_SECURED,
            "operationId": "getBooking",
            "summary": "One booking with its audit trail (someone else's reads as not found)",
            "parameters": _ID,
            "responses": {
                "200": {
                    "description": "The booking and every state change",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/BookingWithAudit"}
                        }
                    },
                },
                **_problems("401", "404"),
            },
        }
    },
    "/api/bookings/{booking_id}/provider-confirm": {
        "post": {
            **_SECURED,
            "operationId": "confirmByProvider",
            "summary": "The booked vendor (or an admin) accepts before the deadline",
            "parameters": _ID,
            "responses": {
                "200": {"description": "The booking, provider_confirmed", "content": _BOOKING},
                **_problems("401", "403", "404", "409"),
            },
        }
    },
    "/api/bookings/{booking_id}/cancel": {
        "post": {
            **_SECURED,
            "operationId": "cancelBooking",
            "summary": "The customer (or an admin) cancels before the vendor confirms",
            "parameters": _ID,
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {"reason": {"type": "string"}},
                        }
                    }
                },
            },
            "responses": {
                "200": {"description": "The booking, cancelled", "content": _BOOKING},
                **_problems("400", "401", "403", "404", "409", "413", "422"),
            },
        }
    },
}

_TIME = {"type": "string", "format": "date-time"}

OPENAPI_COMPONENTS: dict[str, Any] = {
    "parameters": {
        "IdempotencyKey": {
            "name": "Idempotency-Key",
            "in": "header",
            "required": True,
            "description": "A unique key per intended booking; reuse it to retry safely",
            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
        },
        "BookingId": {
            "name": "booking_id",
            "in": "path",
            "required": True,
            "schema": {"type": "string"},
        },
    },
    "schemas": {
        "ConfirmRequest": {
            "type": "object",
            "required": ["quote_id", "provider_id", "payment_method"],
            "properties": {
                "quote_id": {"type": "string", "maxLength": 64},
                "provider_id": {"type": "string", "maxLength": 64},
                "payment_method": {
                    "type": "string",
                    "maxLength": 255,
                    "examples": ["pm_card_visa"],
                },
            },
        },
        "Booking": {
            "type": "object",
            "required": [
                "booking_id",
                "quote_id",
                "customer_id",
                "provider_id",
                "state",
                "payment_status",
                "start",
                "end",
                "price",
                "commitment_fee",
                "hold_expires_at",
            ],
            "properties": {
                "booking_id": {"type": "string"},
                "quote_id": {"type": "string"},
                "customer_id": {"type": "string"},
                "provider_id": {"type": "string"},
                "state": {
                    "type": "string",
                    "enum": [
                        "quoted",
                        "hold_placed",
                        "provider_confirmed",
                        "receipt_issued",
                        "cancelled",
                        "refunded",
                    ],
                },
                "payment_status": {"type": "string"},
                "start": _TIME,
                "end": _TIME,
                "duration_minutes": {"type": "integer"},
                "price": {"$ref": "#/components/schemas/Money"},
                "commitment_fee": {"$ref": "#/components/schemas/Money"},
                "payment_method": {"type": "string"},
                "hold_expires_at": _TIME,
                "created_at": _TIME,
                "updated_at": _TIME,
            },
        },
        "AuditEntry": {
            "type": "object",
            "required": ["from_state", "to_state", "action", "actor_type", "actor_id", "at"],
            "properties": {
                "from_state": {"type": "string"},
                "to_state": {"type": "string"},
                "action": {"type": "string"},
                "actor_type": {
                    "type": "string",
                    "enum": ["customer", "vendor", "admin", "system", "webhook"],
                },
                "actor_id": {"type": "string"},
                "reason": {"type": "string"},
                "at": _TIME,
            },
        },
        "BookingWithAudit": {
            "allOf": [
                {"$ref": "#/components/schemas/Booking"},
                {
                    "type": "object",
                    "required": ["audit"],
                    "properties": {
                        "audit": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/AuditEntry"},
                        }
                    },
                },
            ]
        },
        "BookingList": {
            "type": "object",
            "required": ["bookings"],
            "properties": {
                "bookings": {"type": "array", "items": {"$ref": "#/components/schemas/Booking"}}
            },
        },
    },
}
