"""The stable error codes of the edge: each one's HTTP status and title, and bkctl's exit
status for it. Apart from `problems` (the HTTP answers, on Starlette) so that `bkctl` and the
JSON codec use the table without importing Starlette."""

from __future__ import annotations

from bookiji_core import correlation

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

CODE_BY_STATUS = {
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
