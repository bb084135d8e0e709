"""Which webhook refusals make Stripe deliver again is decided once, in entry/problems.py."""

from __future__ import annotations

import json

from bookiji_core.errors import (
    LockTimeout,
    PermanentPaymentError,
    RetryablePaymentError,
    SlotTaken,
)
from bookiji_entry.problems import webhook_retry_problem


def test_a_booking_locked_too_long_is_a_503_with_retry_after() -> None:
    response = webhook_retry_problem(LockTimeout("booking bk_1 is busy"))
    assert response is not None
    assert (response.status_code, response.headers["Retry-After"]) == (503, "5")
    assert json.loads(bytes(response.body))["code"] == "lock_timeout"


def test_a_provider_that_cannot_be_read_is_a_503() -> None:
    response = webhook_retry_problem(RetryablePaymentError("502 from the provider"))
    assert response is not None and response.status_code == 503
    assert json.loads(bytes(response.body))["code"] == RetryablePaymentError.code


def test_a_refusal_no_retry_can_help_maps_like_any_other_error() -> None:
    assert webhook_retry_problem(PermanentPaymentError("card declined")) is None
    assert webhook_retry_problem(SlotTaken("taken")) is None
