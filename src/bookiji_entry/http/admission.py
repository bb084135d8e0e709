"""Admission control: a bounded number of requests in flight per process, a fast 503 beyond.

A saturated server that accepts everything only grows its queue: every request waits longer,
clients time out on answers the server still computes, and goodput collapses. `Admission`
(pure ASGI middleware, added by `app.create_app`) counts the requests in flight in this
process (on its event loop, so a plain counter) and answers the one over the bound at once,
before routing, authentication or any database work: `503 overloaded` with `Retry-After: 1`,
counted by telemetry (`bookiji_http_overloaded_total`). A request that finishes a flow already
started (one with an `Idempotency-Key`, i.e. a confirm) may use a reserve of a quarter more,
so that the work spent on its quote is not thrown away. Probes, /metrics and the payment
provider's webhook are never refused. `BOOKIJI_MAX_IN_FLIGHT` sets the bound (0: none).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from bookiji_core.ports import Telemetry
from bookiji_entry.problems import problem

EXEMPT_PATHS = frozenset({"/api/webhooks/stripe", "/healthz", "/readyz", "/metrics"})
RETRY_AFTER_SECONDS = 1


def _finishes_a_flow(scope: Scope) -> bool:
    return any(name == b"idempotency-key" for name, _ in scope.get("headers", ()))


class Admission:
    def __init__(self, app: ASGIApp, telemetry: Telemetry, max_in_flight: int = 0) -> None:
        self.app = app
        self.telemetry = telemetry
        self.limit = max_in_flight
        self.reserve = max_in_flight // 4
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.limit <= 0 or scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        bound = self.limit + (self.reserve if _finishes_a_flow(scope) else 0)
        if self.in_flight >= bound:
            self.telemetry.overloaded()
            response = problem(
                "overloaded",
                f"the server has {self.in_flight} requests in flight; retry after "
                f"{RETRY_AFTER_SECONDS} s",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
            await response(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
