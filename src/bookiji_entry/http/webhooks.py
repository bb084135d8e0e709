"""POST /api/webhooks/stripe: verify Stripe's signature, then apply the event once."""

from __future__ import annotations

import attrs
from starlette.responses import Response
from starlette.routing import BaseRoute

from bookiji_adapters.stripe import verify_signature
from bookiji_core.errors import DomainError
from bookiji_core.ports import Clock, Ids, PaymentGateway, Telemetry, UnitOfWorkFactory
from bookiji_core.usecases import handle_payment_event
from bookiji_core.webhooks import WebhookOutcome
from bookiji_entry.http._io import Call
from bookiji_entry.http._spec import RETRY_LATER, Answer, Operation, Param, Reply, bind
from bookiji_entry.payments import WebhookSecret
from bookiji_entry.problems import webhook_retry_problem
from bookiji_entry.shapes import codec
from bookiji_entry.shapes import webhooks as shapes


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
    A bad signature raises WebhookSignatureInvalid before anything is read or written; a
    signed body that is not a Stripe event (its shape, `shapes.webhooks.StripeEvent`) is a
    400 or 422 problem, and nothing is written either."""
    verify_signature(payload, signature, deps.secret.value, now=deps.clock.now().timestamp())
    event = codec.decode(payload, shapes.StripeEvent).event()
    return handle_payment_event(
        event, deps.uow(), deps.gateway, deps.clock, deps.ids, deps.telemetry
    )


def post_stripe(deps: WebhookDeps, call: Call) -> Answer | Response:
    try:
        outcome = receive(deps, call.raw_body, call.headers.get("stripe-signature"))
    except DomainError as error:
        retry = webhook_retry_problem(error)  # 503 so that Stripe delivers it again
        if retry is None:
            raise
        return retry
    return Answer(shapes.WebhookAck(received=True, outcome=outcome))


OPERATIONS = (
    Operation(
        "POST",
        "/api/webhooks/stripe",
        "receiveStripeWebhook",
        "Receive a Stripe event (authenticated by its Stripe-Signature)",
        "payments",
        post_stripe,
        (
            Reply(
                200,
                "Applied, skipped as a redelivery, or ignored (an object the provider does "
                "not know: acknowledged so that it is not delivered again, and counted)",
                shapes.WebhookAck,
            ),
        ),
        roles=None,
        params=(Param("Stripe-Signature", str, where="header"),),
        body=shapes.StripeEvent,
        signed=True,
        problems=(400, 413, 422, RETRY_LATER),
        description=(
            "Verifies the Stripe-Signature header (HMAC-SHA256, 300 s tolerance), "
            "de-duplicates by event id in the transaction that applies the event, and "
            "re-reads the PaymentIntent from the provider before acting. 400 on a bad "
            "signature (nothing changes); 503 with Retry-After when the booking is busy "
            "or the provider cannot be read, so that Stripe retries."
        ),
    ),
)


def routes(deps: WebhookDeps) -> list[BaseRoute]:
    return bind(OPERATIONS, deps)
