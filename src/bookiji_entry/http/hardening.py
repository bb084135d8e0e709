"""HTTP hardening: security headers on every answer, and rate limits on the public routes.

Both are pure ASGI middleware (no BaseHTTPMiddleware), added by `app.create_app`:

- `SecurityHeaders` adds `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`,
  `Referrer-Policy: no-referrer` and a `Content-Security-Policy` that allows nothing (the API
  serves JSON; a browser that renders an answer as HTML must not run or load anything from
  it), plus `Strict-Transport-Security` when `BOOKIJI_HSTS_MAX_AGE` is above 0. It wraps
  every other middleware, so 404s, 429s and 500s carry them too.
- `RateLimits` keeps a token bucket per client address and per bearer token (its SHA-256,
  never the token), each refilled at its limit per minute and holding at most a minute's
  worth. A request over either limit is answered `429 rate_limited` with `Retry-After` (whole
  seconds until the bucket holds a token again), before routing, authentication or any
  database work, and counted by telemetry (`bookiji_http_rate_limited_total{limit}`). The
  provider's webhook, health checks and /metrics are exempt. Limits are per process: with
  `bkctl serve --workers N` a client gets up to N times the limit.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable

import attrs
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bookiji_core.ports import Telemetry
from bookiji_entry.problems import problem

CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
STATIC_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", CSP.encode()),
)
# Not limited: the payment provider's deliveries (it retries on 429 and must never be slowed
# by someone else's traffic from the same address), probes and scrapes.
EXEMPT_PATHS = frozenset({"/api/webhooks/stripe", "/healthz", "/readyz", "/metrics"})
# Idle buckets are forgotten once they would be full again; swept at most this often.
SWEEP_SECONDS = 60.0


class SecurityHeaders:
    def __init__(self, app: ASGIApp, hsts_max_age: int = 0) -> None:
        self.app = app
        self.headers = list(STATIC_HEADERS)
        if hsts_max_age > 0:
            value = f"max-age={hsts_max_age}; includeSubDomains"
            self.headers.append((b"strict-transport-security", value.encode()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", ())}
                added = [(n, v) for n, v in self.headers if n not in present]
                message = {**message, "headers": [*message.get("headers", ()), *added]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


@attrs.define
class TokenBuckets:
    """`limit` requests per minute per key, bursting to `limit`; `take` answers 0 when the
    request may go, else the seconds until it could."""

    limit: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = attrs.field(factory=dict)
    _swept: float = 0.0

    def take(self, key: str) -> float:
        now = self.clock()
        rate = self.limit / 60.0
        tokens, at = self._buckets.get(key, (float(self.limit), now))
        tokens = min(float(self.limit), tokens + (now - at) * rate)
        if now - self._swept > SWEEP_SECONDS:
            self._sweep(now, rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / rate

    def _sweep(self, now: float, rate: float) -> None:
        self._swept = now
        full = [
            k
            for k, (tokens, at) in self._buckets.items()
            if tokens + (now - at) * rate >= self.limit
        ]
        for key in full:
            del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)


def bearer_key(scope: Scope) -> str | None:
    """The SHA-256 of the request's bearer token, or None without one."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            if scheme.lower() == b"bearer" and token.strip():
                return hashlib.sha256(token.strip()).hexdigest()
            return None
    return None


class RateLimits:
    def __init__(
        self,
        app: ASGIApp,
        telemetry: Telemetry,
        per_address: int = 0,
        per_principal: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.telemetry = telemetry
        self.by_address = TokenBuckets(per_address, clock) if per_address > 0 else None
        self.by_principal = TokenBuckets(per_principal, clock) if per_principal > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        refused = self._refusal(scope)
        if refused is None:
            await self.app(scope, receive, send)
            return
        limit, wait = refused
        self.telemetry.rate_limited(limit)
        retry_after = str(max(1, math.ceil(wait)))
        response = problem(
            "rate_limited",
            f"too many requests from this {limit}; retry after {retry_after} s",
            headers={"Retry-After": retry_after},
        )
        await response(scope, receive, send)

    def _refusal(self, scope: Scope) -> tuple[str, float] | None:
        if self.by_address is not None:
            client = scope.get("client")
            address = client[0] if client else "unknown"
            wait = self.by_address.take(address)
            if wait > 0:
                return "address", wait
        if self.by_principal is not None:
            key = bearer_key(scope)
            if key is not None:
                wait = self.by_principal.take(key)
                if wait > 0:
                    return "principal", wait
        return None
