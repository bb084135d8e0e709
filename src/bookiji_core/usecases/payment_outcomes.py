"""Record what a provider's answer means (payment_decisions), in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from bookiji_core.booking import Actor, Booking
from bookiji_core.notifications import NotificationKind
from bookiji_core.payment_decisions import PaymentMove, answer, refused
from bookiji_core.payment_values import IntentView, PaymentAction, PaymentStatus
from bookiji_core.ports import Ids, UnitOfWork
from bookiji_core.usecases.changes import record_changes
from bookiji_core.usecases.notify import enqueue_notifications


def record_answer(
    uow: UnitOfWork,
    booking: Booking,
    intent: IntentView | None,
    actor: Actor,
    ids: Ids,
    now: datetime,
) -> PaymentMove:
    """The provider's view of the booking's intent (None: it has none), from the relay's call
    or a webhook: the ledger entries it implies, and the booking brought up to it. The move
    returned says where the payment got to (`move.reached(PaymentStatus.REFUNDED)`). A fee
    given back is told to the customer here, once the provider has refunded it."""
    move = answer(booking.payment_facts, intent, now)
    for entry in move.ledger:
        uow.ledger.record(entry)
    if booking.settle(move, actor, now):
        uow.bookings.update(booking)
        record_changes(uow, booking, ids, now)
        if move.reached(PaymentStatus.REFUNDED):
            enqueue_notifications(uow, booking, NotificationKind.REFUNDED, now)
    return move


def record_refusal(
    uow: UnitOfWork, booking: Booking, action: PaymentAction, reason: str, ids: Ids, now: datetime
) -> PaymentMove:
    """The provider refused `action` for good. A refused hold cancels the booking, which
    tells the customer and the vendor (`payment_failed`, through record_changes)."""
    move = refused(booking.payment_facts, action)
    booking.settle(move, Actor.system("payments"), now, reason)
    uow.bookings.update(booking)
    record_changes(uow, booking, ids, now)
    return move


class DerivedIds:
    """Outbox ids for the payment commands a booking raises while an answer is recorded (money
    found on the card of a booking that is over is given back). Derived from each command's
    booking and sequence, unique as its idempotency key is, so the relay needs no Ids port and
    a SimCity run replays."""

    def __init__(self, booking: Booking) -> None:
        self._booking = booking
        self._next = 0

    def new(self, prefix: str) -> str:
        # record_changes asks once per new command, in order.
        command = self._booking.new_commands[self._next]
        self._next += 1
        return f"{prefix}_{command.booking_id}_{command.sequence}"
