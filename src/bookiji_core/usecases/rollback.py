"""Operator rollback of one booking: revert its state, undo the card side, append the audit."""

from __future__ import annotations

import attrs

from bookiji_core.access import Principal, Role
from bookiji_core.booking import Booking
from bookiji_core.errors import BookingNotFound
from bookiji_core.flags import guard
from bookiji_core.payments import OutboxMessage
from bookiji_core.ports import Clock, Ids, UnitOfWork
from bookiji_core.usecases.changes import log_access, record_changes
from bookiji_core.usecases.flags import flag_state
from bookiji_core.values import BookingId

FORCE_CANCEL_FLAG = "ops.force_cancel"


@attrs.frozen
class RollbackResult:
    booking: Booking
    # The release or refund the rollback queued; the relay carries it to the provider.
    payment_messages: tuple[OutboxMessage, ...]


def roll_back_booking(
    booking_id: str, principal: Principal, reason: str, uow: UnitOfWork, clock: Clock, ids: Ids
) -> RollbackResult:
    """Admin-only, behind the `ops.force_cancel` flag; one transaction."""
    principal.require(Role.ADMIN)
    now = clock.now()
    with uow:
        guard(flag_state(uow, FORCE_CANCEL_FLAG), principal)
        booking = uow.bookings.get(BookingId(booking_id), for_update=True)
        if booking is None:
            raise BookingNotFound(f"booking {booking_id} does not exist")
        booking.roll_back(principal.actor, now, reason or "operator rollback")
        before = {m.id for m in uow.outbox.for_booking(booking.id)}
        uow.bookings.update(booking)
        record_changes(uow, booking, ids, now)
        queued = tuple(m for m in uow.outbox.for_booking(booking.id) if m.id not in before)
        log_access(
            uow,
            subject_id=booking.customer_id,
            actor_id=principal.subject_id,
            purpose="ops.rollback",
            resource=f"booking:{booking.id}",
            at=now,
        )
        uow.commit()
    return RollbackResult(booking, queued)
