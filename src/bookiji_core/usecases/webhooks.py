"""handle_payment_event: apply a verified payment-provider webhook, once, in any order."""

from __future__ import annotations

import logging

from bookiji_core import correlation
from bookiji_core.booking import Actor, ActorType, Booking
from bookiji_core.errors import DomainError, UnknownPaymentObject
from bookiji_core.ports import Clock, Ids, PaymentGateway, Telemetry, UnitOfWork
from bookiji_core.usecases.payment_outcomes import record_answer
from bookiji_core.webhooks import ReceivedEvent, WebhookEvent, WebhookOutcome

log = logging.getLogger("bookiji.webhooks")


def handle_payment_event(
    event: WebhookEvent,
    uow: UnitOfWork,
    gateway: PaymentGateway,
    clock: Clock,
    ids: Ids,
    telemetry: Telemetry,
) -> WebhookOutcome:
    """The event is only a trigger: the intent's current state is read back from the provider
    and the booking moves only as far as its own state allows. The event id goes into the
    inbox in the same transaction as the effect, so a redelivery is skipped, and a crash
    before the commit leaves the event to be applied when Stripe delivers it again.

    Raises (and counts a failure) when the provider cannot be read or the booking's lock
    cannot be taken in time (LockTimeout): the edge answers 5xx and Stripe retries."""
    try:
        outcome = _handle(event, uow, gateway, clock, ids)
    except DomainError:
        telemetry.webhook_outcome(WebhookOutcome.FAILURE)
        raise
    telemetry.webhook_outcome(outcome)
    return outcome


def _handle(
    event: WebhookEvent, uow: UnitOfWork, gateway: PaymentGateway, clock: Clock, ids: Ids
) -> WebhookOutcome:
    with uow:
        if uow.webhook_inbox.get(event.id) is not None:
            return WebhookOutcome.IDEMPOTENT_SKIP
    # Outside any transaction: no database lock is held across a network call.
    try:
        intent = gateway.retrieve(event.intent_id) if event.intent_id else None
    except UnknownPaymentObject:
        intent, outcome = None, WebhookOutcome.IGNORED  # in the inbox, so never asked again
    else:
        outcome = WebhookOutcome.SUCCESS
    now = clock.now()
    with uow:
        if not uow.webhook_inbox.add(ReceivedEvent(event.id, event.type, now)):
            return WebhookOutcome.IDEMPOTENT_SKIP  # a concurrent delivery got there first
        if intent is not None and intent.booking_id is not None:
            booking = uow.bookings.get(intent.booking_id, for_update=True)
            if booking is not None:
                with correlation.bound(_correlation_of(uow, booking)):
                    actor = Actor(ActorType.WEBHOOK, event.id)
                    record_answer(uow, booking, intent, actor, ids, now)
                    uow.commit()
                    log.info(
                        "webhook: %s (%s) applied to booking %s, payment %s",
                        event.type,
                        event.id,
                        booking.id,
                        intent.status.value,
                        extra={"fields": {"booking_id": booking.id, "event_id": event.id}},
                    )
                    return WebhookOutcome.SUCCESS
        uow.commit()
    return outcome


def _correlation_of(uow: UnitOfWork, booking: Booking) -> str | None:
    """The correlation id of the latest request that queued a payment of this booking."""
    carried = [m.correlation_id for m in uow.outbox.for_booking(booking.id) if m.correlation_id]
    return carried[-1] if carried else None
