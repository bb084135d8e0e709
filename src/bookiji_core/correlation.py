"""The correlation id of the work in progress: an HTTP request's, or the one an outbox message
carries from the request that queued it, so that the relay's and the webhook's log lines for a
booking can be found with the request's id.

The edge binds it (the HTTP middleware, the relay for each message it delivers); what is
queued while it is bound carries it (`OutboxMessage.queue`), and the log formatter adds it to
every line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

CORRELATION_ID: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def current() -> str | None:
    return CORRELATION_ID.get()


@contextmanager
def bound(correlation_id: str | None) -> Iterator[None]:
    """Within the block, `current()` is `correlation_id` (unchanged when it is None)."""
    if correlation_id is None:
        yield
        return
    token = CORRELATION_ID.set(correlation_id)
    try:
        yield
    finally:
        CORRELATION_ID.reset(token)
