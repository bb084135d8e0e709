"""Runbook Incident-002, "notify vendor": remind the vendors whose bookings wait for them."""

from __future__ import annotations

from datetime import timedelta

import attrs

from bookiji_core.access import Principal, Role
from bookiji_core.notifications import NotificationKind
from bookiji_core.ports import Clock, UnitOfWork
from bookiji_core.usecases.notify import enqueue_notifications
from bookiji_core.values import BookingId, VendorId

MAX_BOOKINGS = 1000


@attrs.frozen
class Reminded:
    booking_id: BookingId
    vendor_id: VendorId
    queued: int  # notifications queued now (0: reminded before, or no channel)


def remind_late_vendors(
    principal: Principal, uow: UnitOfWork, clock: Clock, within: timedelta
) -> list[Reminded]:
    """Queue a confirm reminder to the vendor of every booking still waiting for them whose
    deadline is less than `within` away (admins only). One reminder per booking: its id is
    deterministic, so running it again adds nothing. The notification worker delivers them."""
    principal.require(Role.ADMIN)
    now = clock.now()
    found: list[Reminded] = []
    with uow:
        for booking_id in uow.bookings.due_for_auto_cancel(now + within, MAX_BOOKINGS):
            booking = uow.bookings.get(booking_id)
            if booking is None or booking.hold_expires_at <= now:
                continue  # past its deadline: auto-cancel's, not the vendor's any more
            added = enqueue_notifications(uow, booking, NotificationKind.CONFIRM_REMINDER, now)
            found.append(Reminded(booking.id, booking.vendor_id, len(added)))
        uow.commit()
    return found
