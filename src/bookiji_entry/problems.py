"""Errors at the edge as HTTP answers; the one table from stable error codes to HTTP statuses
and exit codes is `problem_codes` (re-exported here).

Every error leaves the HTTP app as an RFC 9457 `application/problem+json` body with `type`,
`title`, `status`, `detail` and the stable `code` (plus `field` for invalid input), and the
request's `correlation_id` (also in the X-Request-ID header and the access log line).

Choices worth knowing: an expired quote is 410 Gone (it existed and will never be valid again,
so a client must ask for a new quote rather than retry); no provider available is 422 (the
request is well formed but cannot be satisfied; 404 would suggest a wrong URL).
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bookiji_core.errors import (
    CatalogueChangeStrandsBooking,
    DomainError,
    InvalidInput,
    LockTimeout,
    PaymentError,
    RetryablePaymentError,
)
from bookiji_entry.problem_codes import CODE_BY_STATUS
from bookiji_entry.problem_codes import CORRELATION_ID as CORRELATION_ID
from bookiji_entry.problem_codes import MEDIA_TYPE as MEDIA_TYPE
from bookiji_entry.problem_codes import PROBLEMS as PROBLEMS
from bookiji_entry.problem_codes import TYPE_PREFIX as TYPE_PREFIX
from bookiji_entry.problem_codes import EdgeError as EdgeError
from bookiji_entry.problem_codes import exit_code_for as exit_code_for
from bookiji_entry.problem_codes import status_for as status_for


def problem(
    code: str,
    detail: str,
    *,
    status: int | None = None,
    field: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    status_code, title = PROBLEMS.get(code, PROBLEMS["domain_error"])
    status_code = status or status_code
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + code,
        "title": title,
        "status": status_code,
        "detail": detail,
        "code": code,
    }
    if field is not None:
        body["field"] = field
    body.update(extra or {})
    correlation_id = CORRELATION_ID.get()
    if correlation_id is not None:
        body["correlation_id"] = correlation_id
    if status_code == 401:
        headers = {**(headers or {}), "WWW-Authenticate": 'Bearer realm="bookiji"'}
    return JSONResponse(body, status_code=status_code, headers=headers, media_type=MEDIA_TYPE)


def domain_problem(exc: DomainError) -> Response:
    field = exc.field if isinstance(exc, InvalidInput) else None
    extra = None
    if isinstance(exc, CatalogueChangeStrandsBooking):
        extra = {"booking_ids": list(exc.booking_ids)}
    return problem(exc.code, exc.message, field=field, extra=extra)


# Stripe delivers a webhook again after any 5xx: these are the refusals worth its retry.
WEBHOOK_RETRY_STATUS = 503
WEBHOOK_RETRY_AFTER_SECONDS = "5"
WEBHOOK_RETRY_CODES = (LockTimeout.code, RetryablePaymentError.code)


def webhook_retry_problem(exc: DomainError) -> Response | None:
    """The answer that makes Stripe deliver a webhook again, or None when `exc` is not one a
    retry can help with (it then maps like any other error). The booking's row lock not free
    in time is 503 with Retry-After; a provider that cannot be read is 503."""
    if isinstance(exc, LockTimeout):
        headers = {"Retry-After": WEBHOOK_RETRY_AFTER_SECONDS}
        return problem(exc.code, exc.message, status=WEBHOOK_RETRY_STATUS, headers=headers)
    if isinstance(exc, PaymentError) and exc.retryable:
        return problem(exc.code, exc.message, status=WEBHOOK_RETRY_STATUS)
    return None


async def on_domain_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return domain_problem(exc)


async def on_edge_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, EdgeError)
    return problem(exc.code, exc.detail)


async def on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = CODE_BY_STATUS.get(exc.status_code, "domain_error")
    headers = dict(exc.headers) if exc.headers else None
    detail = str(exc.detail)
    if exc.status_code == 404:
        detail = f"no resource at {request.url.path}"
    elif exc.status_code == 405:
        allowed = (headers or {}).get("allow", (headers or {}).get("Allow", ""))
        detail = f"{request.method} is not allowed on {request.url.path}; use {allowed}"
    return problem(code, detail, status=exc.status_code, headers=headers)


async def on_unexpected(_request: Request, _exc: Exception) -> Response:
    # The traceback goes to the server log (Starlette re-raises after this response);
    # the client learns nothing about the internals.
    return problem("internal_error", "an unexpected error occurred; it has been logged")


EXCEPTION_HANDLERS = {
    DomainError: on_domain_error,
    EdgeError: on_edge_error,
    HTTPException: on_http_exception,
    Exception: on_unexpected,
}
