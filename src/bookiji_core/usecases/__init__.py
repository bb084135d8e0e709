"""Use cases: load, ask the aggregate, commit. Dependencies arrive as parameters."""

from bookiji_core.usecases.auth import authenticate
from bookiji_core.usecases.bookings import (
    BookingView,
    auto_cancel_due,
    cancel_booking,
    confirm_by_provider,
    get_booking,
    list_bookings,
)
from bookiji_core.usecases.confirm import ConfirmBooking, ConfirmResult, confirm_booking
from bookiji_core.usecases.quote import QuoteResult, request_quote

__all__ = [
    "BookingView",
    "ConfirmBooking",
    "ConfirmResult",
    "QuoteResult",
    "authenticate",
    "auto_cancel_due",
    "cancel_booking",
    "confirm_booking",
    "confirm_by_provider",
    "get_booking",
    "list_bookings",
    "request_quote",
]
