"""One delivery attempt of an outbox message: read the provider, then make the call still needed.

What call, with which key, is payment_decisions' business; this module reads what it needs
and carries the call to the gateway."""

from __future__ import annotations

from collections.abc import Callable

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
    the one call the decision asks for. Raises PaymentError and ConcurrentUpdate."""
    command = message.command
    with uow:
        booking = uow.bookings.get(command.booking_id)
        earlier = [
            m
            for m in uow.outbox.for_booking(command.booking_id)
            if m.command.sequence < command.sequence and not m.finished
        ]
    if booking is None:
        return Failed(f"booking {command.booking_id} does not exist", False)
    if earlier:  # payments of one booking happen in the order the booking asked for them
        return Wait()
    intent = _current_intent(message, booking, gateway)
    call = plan_call(command, intent, booking_active=booking.is_active)
    if call.step is GatewayStep.IMPOSSIBLE:
        return Failed(call.refusal, False)
    checkpoint("before_gateway")
    outcome = send(call, booking, gateway)
    checkpoint("after_gateway")
    return Done(outcome)


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
