"""Payment-provider webhook events as the core sees them: a trigger naming an intent."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs


class WebhookOutcome(enum.StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    IDEMPOTENT_SKIP = "idempotent_skip"
    # Signed, but about an object the provider does not know: acknowledged, counted, dropped.
    IGNORED = "ignored"


@attrs.frozen
class WebhookEvent:
    """A verified event. Only its id (for de-duplication) and the intent it is about are
    trusted; what happened is read back from the provider, never taken from the payload."""

    id: str
    type: str
    intent_id: str | None
    created: datetime | None = None


@attrs.frozen
class ReceivedEvent:
    """An event id in the inbox: written in the same transaction as the event's effect."""

    id: str
    type: str
    received_at: datetime
