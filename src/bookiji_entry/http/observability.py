"""Per-request observability: duration and count by route template, correlation id, access log.

A pure ASGI middleware (no BaseHTTPMiddleware: no extra task or body copy per request). For
each HTTP request it:

- takes the caller's `X-Request-ID` if it is sane (1-128 of `A-Z a-z 0-9 . _ : -`), else
  makes one, returns it in the `X-Request-ID` response header, and exposes it to problem
  bodies (`correlation_id`) through `problems.CORRELATION_ID`;
- reports the request to telemetry labelled by the route *template*
  (`/api/bookings/{booking_id}`), or `unmatched`, so the number of series stays bounded;
- writes one JSON line on the `bookiji.access` logger (stderr): ts, level, msg,
  correlation_id, method, route, status, duration_ms. Never the path, query, headers, body,
  client address or anything else that could carry personal data or a token.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bookiji_core.ports import Telemetry
from bookiji_entry.logs import ACCESS_LOGGER, Stderr, json_handler
from bookiji_entry.problems import CORRELATION_ID, on_unexpected

HEADER = b"x-request-id"
UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def correlation_id(scope: Scope) -> str:
    """The caller's X-Request-ID when it is sane, else a new random one."""
    for name, value in scope.get("headers", ()):
        if name == HEADER:
            candidate: str = value.decode("latin-1")
            if _SANE_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def route_template(scope: Scope, root_path: str) -> str:
    """The template of the route that handled the request (read after routing), with the
    prefix of any Mount it sits in; `unmatched` when no route matched."""
    path = getattr(scope.get("route"), "path", None)
    if not isinstance(path, str):
        return UNMATCHED
    mounted: str = scope.get("root_path", "")[len(root_path) :]
    return mounted + path


class RequestObservability:
    def __init__(self, app: ASGIApp, telemetry: Telemetry) -> None:
        self.app = app
        self.telemetry = telemetry
        self.log = access_logger()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = correlation_id(scope)
        token = CORRELATION_ID.set(request_id)
        root_path = scope.get("root_path", "")
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                headers = [*message.get("headers", ()), (HEADER, request_id.encode("latin-1"))]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            status = 500
            if not response_started:
                # Answered here rather than by Starlette's outermost error middleware, so that
                # the 500 problem carries the correlation id too; the error still propagates
                # to the server, which logs the traceback.
                response = await on_unexpected(Request(scope), exc)
                await response(scope, receive, send_with_id)
                status = 500
            raise
        finally:
            CORRELATION_ID.reset(token)
            seconds = time.perf_counter() - started
            method = scope["method"] if scope["method"] in METHODS else "other"
            route = route_template(scope, root_path)
            self.telemetry.http_request(route, method, status, seconds)
            self.log.log(
                logging.ERROR if status >= 500 else logging.INFO,
                "request",
                extra={
                    "fields": {
                        "correlation_id": request_id,
                        "method": method,
                        "route": route,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 3),
                    }
                },
            )


def access_logger() -> logging.Logger:
    """The `bookiji.access` logger, writing JSON lines to stderr (set up once per process)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(h, Stderr) for h in logger.handlers):
        logger.addHandler(json_handler())
        if logger.level == logging.NOTSET:  # BOOKIJI_LOG_LEVEL (logs.configure) decides, else info
            logger.setLevel(logging.INFO)
        logger.propagate = False  # one line per request, not again through the root logger
    return logger
