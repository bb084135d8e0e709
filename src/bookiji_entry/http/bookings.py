"""Bookings: confirm a quote (idempotent), and read them."""

from __future__ import annotations

import attrs
from starlette.routing import BaseRoute

from bookiji_core.access import Role
from bookiji_core.policy import BookingPolicy
from bookiji_core.ports import Clock, Ids, UnitOfWorkFactory
from bookiji_core.usecases import confirm_booking, get_booking, list_bookings
from bookiji_entry import inputs
from bookiji_entry.http._io import Call
from bookiji_entry.http._spec import Answer, Auth, Operation, Param, Reply, bind
from bookiji_entry.shapes import bookings as shapes
from bookiji_entry.shapes.common import Id

BOOKING_ID = Param("booking_id", Id)
LOCATION = {"type": "string"}


@attrs.frozen
class BookingDeps:
    """What the booking routes use."""

    uow: UnitOfWorkFactory
    clock: Clock
    ids: Ids
    booking_policy: BookingPolicy  # T


def post_confirm(deps: BookingDeps, call: Call) -> Answer:
    command = inputs.confirm_command(call.body, call.principal, call.params["Idempotency-Key"])
    result = confirm_booking(command, deps.uow(), deps.clock, deps.ids, deps.booking_policy)
    booking = result.booking
    headers = {"Location": f"/api/bookings/{booking.id}"}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    status = 200 if result.replayed else 201
    return Answer(shapes.Booking.of(booking), status=status, headers=headers)


def get_one(deps: BookingDeps, call: Call) -> Answer:
    view = get_booking(call.params["booking_id"], call.principal, deps.uow(), deps.clock)
    return Answer(shapes.BookingWithAudit.of_view(view))


def get_list(deps: BookingDeps, call: Call) -> Answer:
    found = list_bookings(call.principal, deps.uow(), limit=call.args.limit)
    return Answer(shapes.BookingList([shapes.Booking.of(b) for b in found]))


OPERATIONS = (
    Operation(
        "POST",
        "/api/bookings/confirm",
        "confirmBooking",
        "Book a quoted provider: claim the slot and queue the $1 hold, once",
        "bookings",
        post_confirm,
        (
            Reply(201, "The booking, created", shapes.Booking, headers={"Location": LOCATION}),
            Reply(
                200,
                "The booking this key created before, replayed",
                shapes.Booking,
                headers={
                    "Idempotent-Replayed": {"type": "string", "const": "true"},
                    "Location": LOCATION,
                },
            ),
        ),
        roles=(Role.CUSTOMER,),
        body=shapes.ConfirmRequest,
        params=(Param("Idempotency-Key", shapes.IdempotencyKey, where="header"),),
        problems=(404, 409, 410),
        description=(
            "One transaction claims the provider's slot, creates the booking in "
            "`hold_placed` and queues the hold in the payments outbox. A retry with the same "
            "`Idempotency-Key` and body replays the booking (200, `Idempotent-Replayed: "
            "true`); the same key with another body is a 422; a retry while the first "
            "request still runs is a 409. Keys are kept for 24 hours."
        ),
    ),
    Operation(
        "GET",
        "/api/bookings",
        "listBookings",
        "The caller's bookings: a customer's own, a vendor's, or all for an admin",
        "bookings",
        get_list,
        (Reply(200, "Newest first", shapes.BookingList),),
        query=shapes.ListQuery,
    ),
    Operation(
        "GET",
        "/api/bookings/{booking_id}",
        "getBooking",
        "One booking with its audit trail (someone else's reads as not found)",
        "bookings",
        get_one,
        (Reply(200, "The booking and every state change", shapes.BookingWithAudit),),
        params=(BOOKING_ID,),
        problems=(404,),
    ),
)


def routes(deps: BookingDeps) -> list[BaseRoute]:
    return bind(OPERATIONS, deps, auth=Auth(deps.uow, deps.clock))
