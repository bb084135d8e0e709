"""Bookings through their lifecycle: the vendor accepts, the customer cancels."""

from __future__ import annotations

from starlette.routing import BaseRoute

from bookiji_core.access import Role
from bookiji_core.usecases import cancel_booking, confirm_by_provider
from bookiji_entry.http._io import Call
from bookiji_entry.http._spec import Answer, Auth, Operation, Reply, bind
from bookiji_entry.http.bookings import BOOKING_ID, BookingDeps
from bookiji_entry.shapes import bookings as shapes


def post_provider_confirm(deps: BookingDeps, call: Call) -> Answer:
    booking = confirm_by_provider(
        call.params["booking_id"], call.principal, deps.uow(), deps.clock, deps.ids
    )
    return Answer(shapes.Booking.of(booking))


def post_cancel(deps: BookingDeps, call: Call) -> Answer:
    caller = call.principal
    reason = call.body.reason or f"cancelled by {caller.role}"
    booking = cancel_booking(
        call.params["booking_id"], caller, deps.uow(), deps.clock, deps.ids, reason
    )
    return Answer(shapes.Booking.of(booking))


OPERATIONS = (
    Operation(
        "POST",
        "/api/bookings/{booking_id}/provider-confirm",
        "confirmByProvider",
        "The booked vendor (or an admin) accepts before the deadline",
        "bookings",
        post_provider_confirm,
        (Reply(200, "The booking, provider_confirmed", shapes.Booking),),
        roles=(Role.VENDOR, Role.ADMIN),
        params=(BOOKING_ID,),
        problems=(404, 409),
    ),
    Operation(
        "POST",
        "/api/bookings/{booking_id}/cancel",
        "cancelBooking",
        "The customer (or an admin) cancels before the vendor confirms",
        "bookings",
        post_cancel,
        (Reply(200, "The booking, cancelled", shapes.Booking),),
        roles=(Role.CUSTOMER, Role.ADMIN),
        body=shapes.CancelRequest,
        body_required=False,
        params=(BOOKING_ID,),
        problems=(404, 409),
    ),
)


def routes(deps: BookingDeps) -> list[BaseRoute]:
    return bind(OPERATIONS, deps, auth=Auth(deps.uow, deps.clock))
