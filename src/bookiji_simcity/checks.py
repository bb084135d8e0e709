"""Reading a run's outcome: the building blocks of the scenarios' own checks."""

from __future__ import annotations

from bookiji_core.booking import Booking, BookingState
from bookiji_core.payments import IntentStatus, PaymentStatus
from bookiji_core.values import CustomerId
from bookiji_simcity.outcome import Outcome


def booking(outcome: Outcome, n: int | str = 0) -> Booking | None:
    """The n-th booking made, or the first one a customer (by id) made."""
    if isinstance(n, str):
        made = outcome.traffic.booked_by.get(CustomerId(n), [])
    else:
        made = outcome.traffic.bookings[n:]
    if not made:
        return None
    return next((b for b in outcome.snapshot.bookings if b.id == made[0]), None)


def actions(outcome: Outcome, b: Booking) -> list[str]:
    return [e.action for e in outcome.snapshot.audit[b.id]]


def expect(condition: bool, message: str) -> list[str]:
    return [] if condition else [message]


def ended(outcome: Outcome, n: int | str, state: BookingState, trail: list[str]) -> list[str]:
    b = booking(outcome, n)
    if b is None:
        return [f"booking #{n} was never made"]
    found = expect(b.state is state, f"{b.id} ended {b.state}, expected {state}")
    found += expect(actions(outcome, b) == trail, f"{b.id}'s audit is {actions(outcome, b)}")
    return found


def released(outcome: Outcome, n: int | str) -> list[str]:
    b = booking(outcome, n)
    if b is None:
        return [f"booking #{n} was never made"]
    intents = outcome.snapshot.intents_of(b.id)
    found = expect(
        b.payment_status is PaymentStatus.RELEASED, f"{b.id} payment is {b.payment_status}"
    )
    found += expect(
        all(i.status is IntentStatus.CANCELED for i in intents), f"{b.id}'s hold is still live"
    )
    found += expect(all(i.amount_captured == 0 for i in intents), f"{b.id} was captured")
    return found


def receipt(outcome: Outcome, n: int | str = 0) -> list[str]:
    return ended(
        outcome, n, BookingState.RECEIPT_ISSUED, ["confirm", "provider_confirm", "issue_receipt"]
    )
