"""Errors at the edge: the one table from stable error codes to HTTP statuses and exit codes.

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

from bookiji_core import correlation
from bookiji_core.errors import (
    CatalogueChangeStrandsBooking,
    DomainError,
    InvalidInput,
    LockTimeout,
    PaymentError,
    RetryablePaymentError,
)

MEDIA_TYPE = "application/problem+json"
# Set by the observability middleware for the duration of each request (core's variable:
# what a request queues in the outbox carries it to the relay and the webhook).
CORRELATION_ID = correlation.CORRELATION_ID
TYPE_PREFIX = "urn:bookiji:problem:"

# code -> (HTTP status, title). Every DomainError subclass of the core must appear here
# (a test checks it), as must the codes the edge raises itself.
PROBLEMS: dict[str, tuple[int, str]] = {
    "malformed_json": (400, "Malformed JSON"),
    "webhook_signature_invalid": (400, "Webhook signature invalid"),
    "unauthenticated": (401, "Authentication required"),
    "token_revoked": (401, "Token revoked"),
    "token_expired": (401, "Token expired"),
    "forbidden": (403, "Forbidden"),
    "feature_disabled": (403, "Feature disabled"),
    "not_found": (404, "Not found"),
    "quote_not_found": (404, "Quote not found"),
    "booking_not_found": (404, "Booking not found"),
    "principal_not_found": (404, "Principal not found"),
    "method_not_allowed": (405, "Method not allowed"),
    "slot_taken": (409, "Slot already taken"),
    "illegal_transition": (409, "Illegal state transition"),
    "idempotency_key_in_progress": (409, "Idempotency key in progress"),
    "concurrent_update": (409, "Concurrent update"),
    "catalogue_change_strands_booking": (409, "Catalogue change strands a booking"),
    "flag_locked": (409, "Flag locked"),
    "lock_timeout": (409, "Record busy, retry"),
    "quote_expired": (410, "Quote expired"),
    "body_too_large": (413, "Request body too large"),
    "domain_error": (422, "Request refused"),
    "invalid_input": (422, "Invalid input"),
    "provider_not_candidate": (422, "Provider is not a candidate"),
    "no_providers_available": (422, "No providers available"),
    "time_in_past": (422, "Time in the past"),
    "idempotency_key_reused": (422, "Idempotency key reused"),
    "rate_limited": (429, "Too many requests"),
    "internal_error": (500, "Internal server error"),
    "payment_error": (502, "Payment provider error"),
    "payment_retryable": (502, "Payment provider unavailable"),
    "payment_refused": (502, "Payment provider refused"),
    "payment_object_unknown": (502, "Payment object unknown"),
    "card_declined": (502, "Card declined"),
    "delivery_failed": (502, "Notification not delivered"),
    "not_ready": (503, "Not ready"),
    "overloaded": (503, "Overloaded, retry later"),
}

_BY_STATUS = {
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
}


class EdgeError(Exception):
    """A refusal of the edge itself (unparseable or oversized body), before any use case."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def status_for(code: str) -> int:
    return PROBLEMS.get(code, PROBLEMS["domain_error"])[0]


def exit_code_for(code: str) -> int:
    """bkctl's exit status for a refusal: 2 bad input, 3 auth, 4 missing, 5 conflict, 1 other."""
    status = status_for(code)
    if status in (400, 413, 422):
        return 2
    if status in (401, 403):
        return 3
    if status in (404, 410):
        return 4
    if status == 409:
        return 5
    return 1


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
    code = _BY_STATUS.get(exc.status_code, "domain_error")
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
