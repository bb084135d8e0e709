"""POST /api/webhooks/stripe: verify Stripe's signature, then apply the event once."""

from __future__ import annotations

from functools import partial
from typing import Any

import attrs
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bookiji_adapters.stripe import verified_event
from bookiji_core.errors import DomainError
from bookiji_core.ports import Clock, Ids, PaymentGateway, Telemetry, UnitOfWorkFactory
from bookiji_core.usecases import handle_payment_event
from bookiji_core.webhooks import WebhookOutcome
from bookiji_entry.http._io import Call, endpoint
from bookiji_entry.payments import WebhookSecret
from bookiji_entry.problems import webhook_retry_problem


@attrs.frozen
class WebhookDeps:
    """What verifying and applying a provider's webhook uses."""

    secret: WebhookSecret
    uow: UnitOfWorkFactory
    gateway: PaymentGateway
    clock: Clock
    ids: Ids
    telemetry: Telemetry


def receive(deps: WebhookDeps, payload: bytes, signature: str | None) -> WebhookOutcome:
    """Verify and apply one delivery (the route, and SimCity's in-process deliveries).
    A bad signature raises WebhookSignatureInvalid before anything is read or written."""
    now = deps.clock.now().timestamp()
    event = verified_event(payload, signature, deps.secret.value, now=now)
    return handle_payment_event(
        event, deps.uow(), deps.gateway, deps.clock, deps.ids, deps.telemetry
    )


def post_stripe(deps: WebhookDeps, call: Call) -> Response:
    try:
        outcome = receive(deps, call.raw_body, call.headers.get("stripe-signature"))
    except DomainError as error:
        retry = webhook_retry_problem(error)  # 503 so that Stripe delivers it again
        if retry is None:
            raise
        return retry
    return JSONResponse({"received": True, "outcome": str(outcome)})


def routes(deps: WebhookDeps) -> list[BaseRoute]:
    handler: Any = endpoint(partial(post_stripe, deps), body=True)
    return [Route("/api/webhooks/stripe", handler, methods=["POST"])]


_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}

OPENAPI_PATHS: dict[str, Any] = {
    "/api/webhooks/stripe": {
        "post": {
            "operationId": "receiveStripeWebhook",
            "tags": ["payments"],
            "security": [],
            "summary": "Receive a Stripe event (authenticated by its Stripe-Signature)",
            "description": (
                "Verifies the Stripe-Signature header (HMAC-SHA256, 300 s tolerance), "
                "de-duplicates by event id in the transaction that applies the event, and "
                "re-reads the PaymentIntent from the provider before acting. 400 on a bad "
                "signature (nothing changes); 503 with Retry-After when the booking is busy "
                "or the provider cannot be read, so that Stripe retries."
            ),
            "parameters": [
                {
                    "name": "Stripe-Signature",
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string"},
                }
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            "responses": {
                "200": {
                    "description": "Applied, or skipped as a redelivery",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "received": {"type": "boolean"},
                                    "outcome": {"enum": ["success", "idempotent_skip"]},
                                },
                            }
                        }
                    },
                },
                "400": {"$ref": "#/components/responses/BadRequest"},
                "413": {"$ref": "#/components/responses/BodyTooLarge"},
                "500": {"$ref": "#/components/responses/InternalError"},
                "503": {"$ref": "#/components/responses/WebhookRetryLater"},
            },
        }
    }
}

OPENAPI_COMPONENTS: dict[str, Any] = {
    "responses": {
        "WebhookRetryLater": {
            "description": (
                "Problem codes: lock_timeout, payment_retryable (the booking is busy or the "
                "provider cannot be read; Stripe retries)"
            ),
            "content": _PROBLEM,
        }
    }
}
