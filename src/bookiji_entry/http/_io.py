"""Request plumbing shared by the route modules: bounded bodies, bearer tokens, threads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, QueryParams
from starlette.requests import Request
from starlette.responses import Response

from bookiji_core.access import Principal
from bookiji_core.ports import Clock, UnitOfWorkFactory
from bookiji_core.usecases import authenticate
from bookiji_entry.problems import EdgeError

MAX_BODY_BYTES = 64 * 1024


@attrs.frozen
class Call:
    """What a handler needs from a request, read on the event loop and handed to a thread."""

    headers: Headers
    path_params: Mapping[str, str]
    query: QueryParams
    raw_body: bytes
    # Filled in by the operation (http/_spec.py) before the handler runs:
    caller: Principal | None = None  # the authenticated caller, role checked
    params: Mapping[str, Any] = attrs.field(factory=dict)  # path parameters and headers
    args: Any = None  # the query string, as its shape
    body: Any = None  # the body, as its shape

    @property
    def principal(self) -> Principal:
        if self.caller is None:
            raise TypeError("this operation is public: it has no caller")
        return self.caller

    def bearer_token(self) -> str | None:
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        return token.strip() or None


def principal(call: Call, uow: UnitOfWorkFactory, clock: Clock) -> Principal:
    """The authenticated caller, or 401: unauthenticated, token_expired or token_revoked.
    Read from the database on every request, so a revocation holds in every process."""
    return authenticate(call.bearer_token(), uow(), clock.now())


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    too_large = EdgeError("body_too_large", f"the request body must be at most {limit} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


Handler = Callable[[Call], Response]


def endpoint(handler: Handler, *, body: bool = False) -> Callable[[Request], Awaitable[Response]]:
    """Read the (bounded) body on the event loop, then run the synchronous handler, which calls
    blocking use cases, in the thread pool so that it never blocks the loop."""

    async def run(request: Request) -> Response:
        raw = await read_body(request) if body else b""
        call = Call(request.headers, dict(request.path_params), request.query_params, raw)
        return await run_in_threadpool(handler, call)

    return run
