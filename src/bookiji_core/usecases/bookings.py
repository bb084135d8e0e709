"""Reading bookings and moving them through their lifecycle: vendor confirm, cancel, auto-cancel."""

from __future__ import annotations

from collections.abc import Callable

import attrs

from bookiji_core.access import Principal, Role
from bookiji_core.booking import Actor, AuditEntry, Booking
from bookiji_core.errors import BookingNotFound
from bookiji_core.ports import Clock, Ids, UnitOfWork
from bookiji_core.usecases.changes import log_access, record_changes
from bookiji_core.values import BookingId, CustomerId, VendorId


@attrs.frozen
class BookingView:
    booking: Booking
    audit: tuple[AuditEntry, ...]


def _visible_to(booking: Booking, principal: Principal) -> bool:
    if principal.role is Role.ADMIN:
        return True
    if principal.role is Role.VENDOR:
        return booking.vendor_id == principal.subject_id
    return booking.customer_id == principal.subject_id


def _load(uow: UnitOfWork, booking_id: str, principal: Principal, *, lock: bool) -> Booking:
    booking = uow.bookings.get(BookingId(booking_id), for_update=lock)
    # Someone else's booking reads as absent, so ids cannot be probed.
    if booking is None or not _visible_to(booking, principal):
        raise BookingNotFound(f"booking {booking_id} does not exist")
    return booking


def get_booking(
    booking_id: str, principal: Principal, uow: UnitOfWork, clock: Clock
) -> BookingView:
    """A booking with its audit trail; the read of the customer's data is access-logged."""
    with uow:
        booking = _load(uow, booking_id, principal, lock=False)
        audit = tuple(uow.audit.for_booking(booking.id))
        log_access(
            uow,
            subject_id=booking.customer_id,
            actor_id=principal.subject_id,
            purpose="booking.read",
            resource=f"booking:{booking.id}",
            at=clock.now(),
        )
        uow.commit()
    return BookingView(booking, audit)


def list_bookings(principal: Principal, uow: UnitOfWork, limit: int = 100) -> list[Booking]:
    with uow.read_only():
        if principal.role is Role.CUSTOMER:
            return uow.bookings.list_for(customer_id=CustomerId(principal.subject_id), limit=limit)
        if principal.role is Role.VENDOR:
            return uow.bookings.list_for(vendor_id=VendorId(principal.subject_id), limit=limit)
        return uow.bookings.list_for(limit=limit)


def _change(
    booking_id: str,
    principal: Principal,
    uow: UnitOfWork,
    clock: Clock,
    ids: Ids,
    change: Callable[[Booking, Actor], None],
) -> Booking:
    now = clock.now()
    with uow:
        booking = _load(uow, booking_id, principal, lock=True)
        change(booking, principal.actor)
        uow.bookings.update(booking)
        record_changes(uow, booking, ids, now)
        uow.commit()
    return booking


def confirm_by_provider(
    booking_id: str, principal: Principal, uow: UnitOfWork, clock: Clock, ids: Ids
) -> Booking:
    principal.require(Role.VENDOR, Role.ADMIN)
    now = clock.now()
    return _change(
        booking_id, principal, uow, clock, ids, lambda b, a: b.confirm_by_provider(a, now)
    )


def cancel_booking(
    booking_id: str, principal: Principal, uow: UnitOfWork, clock: Clock, ids: Ids, reason: str
) -> Booking:
    principal.require(Role.CUSTOMER, Role.ADMIN)
    now = clock.now()
    return _change(booking_id, principal, uow, clock, ids, lambda b, a: b.cancel(a, now, reason))


def auto_cancel_due(uow: UnitOfWork, clock: Clock, ids: Ids, limit: int = 100) -> list[BookingId]:
    """Cancel and release every booking whose vendor missed the confirmation deadline."""
    now = clock.now()
    with uow.read_only():
        due = uow.bookings.due_for_auto_cancel(now, limit)
    cancelled: list[BookingId] = []
    for booking_id in due:
        with uow:
            booking = uow.bookings.get(booking_id, for_update=True)
            if booking is None or not booking.auto_cancel_if_due(now):
                continue
            uow.bookings.update(booking)
            record_changes(uow, booking, ids, now)
            uow.commit()
        cancelled.append(booking_id)
    return cancelled
