"""One delivery attempt of an outbox message: read the provider, then make the call still needed.

What call, with which key, is payment_decisions' business; this module reads what it needs
and carries the call to the gateway."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from bookiji_core.booking import Booking
from bookiji_core.payment_decisions import GatewayStep, ProviderCall, plan_call
from bookiji_core.payment_values import IntentView, PaymentAction
from bookiji_core.payments import OutboxMessage
from bookiji_core.ports import PaymentGateway, UnitOfWork

Checkpoint = Callable[[str], None]
"""Called with a step name between the relay's steps; SimCity and tests raise from it to
simulate a worker that dies there (`after_claim`, `before_gateway`, `after_gateway`)."""


@attrs.frozen
class Done:
    """The provider's view after the call (None: it has no intent for the booking)."""

    intent: IntentView | None


@attrs.frozen
class Failed:
    error: str
    retryable: bool
    # The issuer declined the card (errors.CardDeclined): payment_decisions.settles_without_person.
    declined: bool = False


@attrs.frozen
class Wait:
    """An earlier payment of the booking is unfinished: this one goes after it."""


Result = Done | Failed | Wait


def attempt(
    message: OutboxMessage, uow: UnitOfWork, gateway: PaymentGateway, checkpoint: Checkpoint
) -> Result:
    """Read before act: the booking, the order of its payments, the provider's intent; then
    the one call the decision asks for. Raises PaymentError and ConcurrentUpdate. (The relay
    does the same for a whole batch: `read_batch`, then `plan` and `send` per message.)"""
    command = message.command
    with uow:
        booking = uow.bookings.get(command.booking_id)
        queued = uow.outbox.for_booking(command.booking_id)
    early = turn(message, booking, queued)
    if early is not None or booking is None:
        return early or Failed(f"booking {command.booking_id} does not exist", False)
    call = plan(message, booking, gateway)
    if call.step is GatewayStep.IMPOSSIBLE:
        return Failed(call.refusal, False)
    checkpoint("before_gateway")
    outcome = send(call, booking, gateway)
    checkpoint("after_gateway")
    return Done(outcome)


def read_batch(
    messages: Sequence[OutboxMessage], uow: UnitOfWork
) -> list[tuple[OutboxMessage, Booking | None, Result | None]]:
    """What the delivery of each message needs, read for all of them in one read-only
    transaction (two queries): its booking, and a Result already when the message cannot go
    to the provider now (no booking; an earlier payment of the booking unfinished)."""
    booking_ids = [m.command.booking_id for m in messages]
    with uow.read_only():
        bookings = uow.bookings.get_many(booking_ids)
        queued = uow.outbox.for_bookings(booking_ids)
    read = []
    for message in messages:
        booking = bookings.get(message.command.booking_id)
        read.append((message, booking, turn(message, booking, queued[message.command.booking_id])))
    return read


def turn(
    message: OutboxMessage, booking: Booking | None, queued: Sequence[OutboxMessage]
) -> Result | None:
    """None if the message may go to the provider now; else what it gets instead."""
    command = message.command
    if booking is None:
        return Failed(f"booking {command.booking_id} does not exist", False)
    earlier = [m for m in queued if m.command.sequence < command.sequence and not m.finished]
    if earlier:  # payments of one booking happen in the order the booking asked for them
        return Wait()
    return None


def plan(message: OutboxMessage, booking: Booking, gateway: PaymentGateway) -> ProviderCall:
    """The provider's current state of the message's intent, and the call still needed.
    Raises PaymentError (reading the provider)."""
    intent = _current_intent(message, booking, gateway)
    return plan_call(message.command, intent, booking_active=booking.is_active)


def send(call: ProviderCall, booking: Booking, gateway: PaymentGateway) -> IntentView | None:
    """Make `call` at the gateway with its key; the provider's view after it."""
    intent = call.intent
    if call.step is GatewayStep.PLACE_HOLD:
        return gateway.place_hold(call.amount, booking.payment_method, booking.id, call.key)
    if intent is None or call.step is GatewayStep.NOTHING:
        return intent
    if call.step is GatewayStep.CAPTURE:
        return gateway.capture(intent.id, call.key)
    if call.step is GatewayStep.CANCEL:
        return gateway.cancel(intent.id, call.key)
    gateway.refund(intent.id, call.amount, call.key)
    return gateway.retrieve(intent.id)


def _current_intent(
    message: OutboxMessage, booking: Booking, gateway: PaymentGateway
) -> IntentView | None:
    # The provider's current state of the intent this message is about.
    intent_id = message.command.intent_id or booking.payment_intent_id
    if intent_id is not None:
        return gateway.retrieve(intent_id)
    if (
        message.command.action is PaymentAction.PLACE_HOLD
        and message.attempts <= 1
        and message.last_error is None  # a message redriven from the DLQ has one
    ):
        return None  # a first attempt: nothing can have been placed yet
    # An earlier attempt may have placed the hold and died (or timed out) before recording
    # it; the provider finds it by the booking id in its metadata.
    found = [i for i in gateway.intents_for_booking(booking.id) if i.was_held]
    return found[0] if found else None
