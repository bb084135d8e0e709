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
from bookiji_core.usecases.outbox_ops import (
    OutboxStatus,
    dlq_messages,
    drain_dlq,
    outbox_status,
    set_paused,
)
from bookiji_core.usecases.quote import QuoteResult, request_quote
from bookiji_core.usecases.reconcile import ReconcileReport, reconcile
from bookiji_core.usecases.relay import OutboxRelay, RelayReport, RelaySettings
from bookiji_core.usecases.webhooks import handle_payment_event

__all__ = [
    "BookingView",
    "ConfirmBooking",
    "ConfirmResult",
    "OutboxRelay",
    "OutboxStatus",
    "QuoteResult",
    "ReconcileReport",
    "RelayReport",
    "RelaySettings",
    "authenticate",
    "auto_cancel_due",
    "cancel_booking",
    "confirm_booking",
    "confirm_by_provider",
    "dlq_messages",
    "drain_dlq",
    "get_booking",
    "handle_payment_event",
    "list_bookings",
    "outbox_status",
    "reconcile",
    "request_quote",
    "set_paused",
]
