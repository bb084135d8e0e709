"""POST /api/quote: a customer asks for a service near a place at a time."""

from __future__ import annotations

from functools import partial
from typing import Any

import attrs
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bookiji_core.ports import Clock, Ids, MapProvider, UnitOfWorkFactory
from bookiji_core.quoting import QuotePolicy
from bookiji_core.usecases import request_quote
from bookiji_entry import inputs, render
from bookiji_entry.banner import SlaBanner
from bookiji_entry.http._io import Call, endpoint, principal


@attrs.frozen
class QuoteDeps:
    """What POST /api/quote uses."""

    uow: UnitOfWorkFactory
    clock: Clock
    ids: Ids
    policy: QuotePolicy
    maps: MapProvider
    banner: SlaBanner


def post_quote(deps: QuoteDeps, call: Call) -> Response:
    caller = principal(call, deps.uow, deps.clock)  # 401 before anything is read from the body
    request = inputs.quote_request(call.json(), caller, deps.policy)
    result = request_quote(request, deps.uow(), deps.clock, deps.ids, deps.policy, deps.maps)
    body = render.quote(result) | {"notice": deps.banner()}  # the SLA banner (Incident-002)
    return JSONResponse(body, status_code=200 if result.reused else 201)


def routes(deps: QuoteDeps) -> list[BaseRoute]:
    return [
        Route("/api/quote", endpoint(partial(post_quote, deps), body=True), methods=["POST"]),
    ]


OPENAPI_PATHS: dict[str, Any] = {
    "/api/quote": {
        "post": {
            "operationId": "requestQuote",
            "summary": "Rank nearby free providers and price the request",
            "description": (
                "Candidates offer the service, are rated 4.0 or more, lie within the radius and "
                "are free for the interval; the top 5 are ranked by rating, distance, response "
                "time and availability. The price is the median of the top 3. The same intent "
                "from the same customer reuses the live quote (200, `reused: true`)."
            ),
            "tags": ["quotes"],
            "security": [{"bearerAuth": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/QuoteRequest"}}
                },
            },
            "responses": {
                "201": {"$ref": "#/components/responses/QuoteCreated"},
                "200": {"$ref": "#/components/responses/QuoteReused"},
                "400": {"$ref": "#/components/responses/BadRequest"},
                "401": {"$ref": "#/components/responses/Unauthenticated"},
                "403": {"$ref": "#/components/responses/Forbidden"},
                "413": {"$ref": "#/components/responses/BodyTooLarge"},
                "422": {"$ref": "#/components/responses/Unprocessable"},
                "500": {"$ref": "#/components/responses/InternalError"},
            },
        }
    }
}

OPENAPI_COMPONENTS: dict[str, Any] = {
    "schemas": {
        "QuoteRequest": {
            "type": "object",
            "required": ["service_type", "location", "date_time"],
            "properties": {
                "service_type": {"type": "string", "examples": ["haircut"], "maxLength": 64},
                "location": {
                    "type": "object",
                    "required": ["latitude", "longitude"],
                    "properties": {
                        "latitude": {"type": "number", "minimum": -90, "maximum": 90},
                        "longitude": {"type": "number", "minimum": -180, "maximum": 180},
                        "radius_km": {
                            "type": "number",
                            "exclusiveMinimum": 0,
                            "maximum": 100,
                            "default": 10,
                        },
                    },
                },
                "date_time": {
                    "type": "string",
                    "format": "date-time",
                    "description": "ISO 8601 with a UTC offset; in the future, within 365 days",
                    "examples": ["2026-12-01T18:00:00Z"],
                },
                "duration_minutes": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 720,
                    "default": 60,
                },
            },
        },
        "Candidate": {
            "type": "object",
            "required": ["provider_id", "price", "eta_minutes", "zone"],
            "properties": {
                "provider_id": {"type": "string"},
                "price": {"$ref": "#/components/schemas/Money"},
                "eta_minutes": {"type": "integer"},
                "zone": {"type": "string", "description": "A public area, never an address"},
            },
        },
        "Quote": {
            "type": "object",
            "required": [
                "quote_id",
                "candidates",
                "price",
                "eta_minutes",
                "commitment_fee",
                "currency",
                "expires_at",
                "reused",
            ],
            "properties": {
                "quote_id": {"type": "string"},
                "service_type": {"type": "string"},
                "date_time": {"type": "string", "format": "date-time"},
                "duration_minutes": {"type": "integer"},
                "candidates": {
                    "type": "array",
                    "maxItems": 5,
                    "items": {"$ref": "#/components/schemas/Candidate"},
                },
                "price": {"$ref": "#/components/schemas/Money"},
                "eta_minutes": {"type": "integer"},
                "commitment_fee": {"$ref": "#/components/schemas/Money"},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                "expires_at": {"type": "string", "format": "date-time"},
                "reused": {"type": "boolean"},
                "notice": {
                    "type": ["string", "null"],
                    "description": "The SLA banner's message while ops.sla_banner is on.",
                },
            },
        },
    },
    "responses": {
        "QuoteCreated": {
            "description": "A new quote",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Quote"}}},
        },
        "QuoteReused": {
            "description": "The live quote of the same intent, reused",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Quote"}}},
        },
    },
}
