"""POST /api/webhooks/stripe: the shape of a Stripe event, and the acknowledgement."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from bookiji_core.webhooks import WebhookEvent, WebhookOutcome
from bookiji_entry.shapes.common import NO_NUL

# Unix seconds that a datetime can hold (year 1 to 9999 UTC); Stripe's are far inside.
MAX_CREATED = 253_402_300_799
Text = Annotated[str, Meta(max_length=255, pattern=NO_NUL)]


class StripeObject(msgspec.Struct):
    """The event's object: a PaymentIntent (`object: payment_intent`) or a charge or
    refund naming its `payment_intent`. Other fields are ignored: what happened is read back
    from the provider, never taken from the payload."""

    id: Text | UnsetType = UNSET
    object: Text | UnsetType = UNSET
    payment_intent: Text | UnsetType | None = UNSET


class EventData(msgspec.Struct):
    object: StripeObject


class StripeEvent(msgspec.Struct):
    """A Stripe event, as signed by Stripe (lengths: the inbox's columns)."""

    id: Annotated[str, Meta(min_length=1, max_length=255, pattern=NO_NUL)]
    type: Annotated[str, Meta(min_length=1, max_length=128, pattern=NO_NUL)]
    data: EventData
    created: Annotated[int, Meta(ge=0, le=MAX_CREATED)] | UnsetType = UNSET

    def event(self) -> WebhookEvent:
        """The trigger the core acts on: the event's id and the PaymentIntent it is about
        (for payment_intent.* events the object itself; for charges and refunds theirs)."""
        obj = self.data.object
        intent = obj.id if obj.object == "payment_intent" else obj.payment_intent
        created = None if isinstance(self.created, UnsetType) else self.created
        return WebhookEvent(
            id=self.id,
            type=self.type,
            intent_id=intent if isinstance(intent, str) else None,
            created=None if created is None else datetime.fromtimestamp(created, UTC),
        )


class WebhookAck(msgspec.Struct):
    """Applied, skipped as a redelivery, or ignored (the service has no use for it)."""

    received: bool
    outcome: WebhookOutcome
