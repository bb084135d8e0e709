"""Each payment decision, in one place: which provider call a command still needs, with which
idempotency key, and what the provider's answer means for the booking and the ledger.

The relay and the webhook use case ask here and derive no key or status themselves."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from bookiji_core.ledger import LedgerEntry, entries_for
from bookiji_core.payment_values import IntentView, PaymentAction, PaymentStatus
from bookiji_core.values import BookingId, Money


@attrs.frozen
class PaymentCommand:
    """A request for the payment provider, raised by the booking aggregate."""

    booking_id: BookingId
    action: PaymentAction
    amount: Money
    sequence: int
    # The PaymentIntent to act on when it is not the booking's own (a duplicate found by
    # reconciliation); None means the booking's payment_intent_id.
    intent_id: str | None = None

    @property
    def idempotency_key(self) -> str:
        """`bookiji:<booking>:<action>:<sequence>`, e.g. `bookiji:bk_1:refund:3`. Deterministic
        per booking, action and sequence: a retry reuses it, a second refund on purpose is a
        new command with a new sequence and so a new key. Stored keys have this form: it must
        never change."""
        return f"bookiji:{self.booking_id}:{self.action}:{self.sequence}"


class GatewayStep(enum.StrEnum):
    """The one call to make at the provider, decided from its current state (read before act)."""

    PLACE_HOLD = "place_hold"
    CAPTURE = "capture"
    CANCEL = "cancel"
    REFUND = "refund"
    NOTHING = "nothing"
    IMPOSSIBLE = "impossible"


# The step that is each action's own call; any other step is a change of plan.
_OWN_STEP = {
    PaymentAction.PLACE_HOLD: GatewayStep.PLACE_HOLD,
    PaymentAction.CAPTURE: GatewayStep.CAPTURE,
    PaymentAction.RELEASE: GatewayStep.CANCEL,
    PaymentAction.REFUND: GatewayStep.REFUND,
}


def call_key(command: PaymentCommand, step: GatewayStep) -> str:
    """The idempotency key of the call `step` made for `command`: the command's own key when
    the step is its action's own call (a refund: `bookiji:<booking>:refund:<sequence>`), else
    derived from it (a release that must become a refund: `bookiji:<booking>:release:<n>:refund`),
    so that the retries of a changed plan reuse one key too."""
    key = command.idempotency_key
    if step in (GatewayStep.CANCEL, GatewayStep.REFUND) and step is not _OWN_STEP[command.action]:
        return f"{key}:{step}"
    return key


def next_step(action: PaymentAction, intent: IntentView | None) -> GatewayStep:
    """What an action still needs, given what the provider already did. A retry, a crash
    after the effect, or a race with a webhook all lead here to NOTHING rather than a second
    effect; a release of a hold that got captured meanwhile becomes a refund."""
    if action is PaymentAction.PLACE_HOLD:
        return GatewayStep.PLACE_HOLD if intent is None else GatewayStep.NOTHING
    if intent is None:
        # No hold was ever placed (it failed for good): nothing to capture, release or refund.
        return GatewayStep.IMPOSSIBLE if action is PaymentAction.CAPTURE else GatewayStep.NOTHING
    if action is PaymentAction.CAPTURE:
        if intent.is_live_hold:
            return GatewayStep.CAPTURE
        return GatewayStep.NOTHING if intent.amount_captured > 0 else GatewayStep.IMPOSSIBLE
    # RELEASE and REFUND both mean: leave the customer with no hold and no charge.
    if intent.is_live_hold:
        return GatewayStep.CANCEL
    if intent.net_captured > 0:
        return GatewayStep.REFUND
    return GatewayStep.NOTHING


@attrs.frozen
class ProviderCall:
    """The one call a command still needs: its step, key, the intent it acts on and amount."""

    command: PaymentCommand
    step: GatewayStep
    key: str
    intent: IntentView | None
    amount: Money

    @property
    def refusal(self) -> str:
        """Why an IMPOSSIBLE call is refused for good (the message goes to the DLQ)."""
        state = self.intent.status if self.intent else "no hold"
        return f"cannot {self.command.action} an intent in state {state}"


def plan_call(
    command: PaymentCommand, intent: IntentView | None, *, booking_active: bool
) -> ProviderCall:
    """Read before act: the call `command` still needs given the provider's `intent`. A booking
    cancelled or rolled back before its hold or capture went out takes no money: the hold is
    not placed (or, if an earlier attempt placed it, released) and the capture becomes a
    release."""
    action = command.action
    if not booking_active and action in (PaymentAction.PLACE_HOLD, PaymentAction.CAPTURE):
        action = PaymentAction.RELEASE
    step = next_step(action, intent)
    amount = command.amount
    if step is GatewayStep.REFUND and intent is not None:
        amount = attrs.evolve(intent.amount, amount=intent.net_captured)  # the whole capture
    return ProviderCall(command, step, call_key(command, step), intent, amount)


@attrs.frozen
class PaymentFacts:
    """What a booking knows of its payment, as the rules below need it."""

    booking_id: BookingId
    status: PaymentStatus
    intent_id: str | None
    active: bool  # the booking still holds the vendor's time
    awaiting_receipt: bool  # the vendor confirmed: a captured fee earns the receipt


@attrs.frozen
class PaymentMove:
    """What one answer of the provider means for one booking: its payment status and intent,
    whether the receipt is due, money to give back, and the ledger entries it implies."""

    before: PaymentStatus
    status: PaymentStatus
    intent_id: str | None
    changed: bool
    issue_receipt: bool = False
    give_back: PaymentAction | None = None  # a release or refund to queue
    cancel_booking: bool = False  # a hold refused for good frees the vendor's time
    ledger: tuple[LedgerEntry, ...] = ()

    def reached(self, status: PaymentStatus) -> bool:
        """The payment arrived at `status` with this answer (e.g. FAILED, REFUNDED)."""
        return self.changed and self.status is status and self.before is not status


def answer(facts: PaymentFacts, intent: IntentView | None, now: datetime) -> PaymentMove:
    """What the provider's view of the booking's intent (from the relay's call or a webhook;
    None: it has no intent for the booking) means for the booking and the ledger.

    The status only moves forward, and only the moves the current status allows, so the
    relay's result and webhooks may arrive in any order, late or twice: the booking ends in
    the same state. Two facts override a settled status, because the provider's state is the
    truth: a fee captured after the payment was marked failed (captured, with a receipt if the
    vendor confirmed; given back if the booking is over), and a hold that shows up on a booking
    over and settled as released without one (given back). The table is in docs/payments.md."""
    unchanged = PaymentMove(facts.status, facts.status, facts.intent_id, changed=False)
    if intent is None:
        return _no_intent(facts, unchanged)
    ledger = tuple(entries_for(facts.booking_id, intent, now))
    unchanged = attrs.evolve(unchanged, ledger=ledger)
    status, give_back, recorded = facts.status, None, False
    if facts.intent_id is None:
        if not intent.was_held:
            return unchanged
        recorded = True
        if status is PaymentStatus.HOLD_PENDING:
            status = PaymentStatus.HELD
        elif status is PaymentStatus.RELEASED and not facts.active:
            # Settled as released because the provider had no intent, and a hold turns up
            # after all (a relay that stalled past its lease placed it late): no money stays
            # on the card of a booking that is over.
            status, give_back = _give_back(status, intent)
    elif intent.id != facts.intent_id:
        return unchanged  # a stray intent for this booking: reconciliation's business
    status, receipt, later = _forward(status, facts, intent)
    return PaymentMove(
        facts.status,
        status,
        intent.id,
        changed=recorded or status is not facts.status,
        issue_receipt=receipt,
        give_back=give_back or later,
        ledger=ledger,
    )


def refused(facts: PaymentFacts, action: PaymentAction) -> PaymentMove:
    """The provider refused `action` for good. A hold that could not be placed cancels the
    booking: the vendor's time is freed and nothing is left to capture."""
    return PaymentMove(
        facts.status,
        PaymentStatus.FAILED,
        facts.intent_id,
        changed=True,
        cancel_booking=action is PaymentAction.PLACE_HOLD,
    )


def settles_without_person(action: PaymentAction, *, declined: bool) -> bool:
    """Whether a permanent refusal is the payment's business outcome rather than work for a
    person: a hold the card's issuer declined. The booking ends (`refused`), the message is
    done, and nothing reaches the DLQ. Every other permanent refusal (an invalid request, a
    capture of an intent in the wrong state, bad credentials) is dead-lettered: a person must
    look at it."""
    return declined and action is PaymentAction.PLACE_HOLD


def _forward(
    status: PaymentStatus, facts: PaymentFacts, intent: IntentView
) -> tuple[PaymentStatus, bool, PaymentAction | None]:
    # The booking's own intent: (new status, receipt due, money to give back).
    if status is PaymentStatus.CAPTURE_PENDING and intent.amount_captured > 0:
        return PaymentStatus.CAPTURED, facts.awaiting_receipt, None
    if status is PaymentStatus.FAILED and intent.net_captured > 0:
        # A capture that failed (its hold was dead-lettered) and went through once the DLQ was
        # drained. A booking still on is captured and gets its receipt; one over is refunded.
        if facts.active:
            return PaymentStatus.CAPTURED, facts.awaiting_receipt, None
        back, action = _give_back(status, intent)
        return back, False, action
    if status is PaymentStatus.RELEASE_PENDING and intent.status == "canceled":
        return PaymentStatus.RELEASED, False, None
    if (
        status in (PaymentStatus.RELEASE_PENDING, PaymentStatus.REFUND_PENDING)
        and intent.amount_captured > 0
        and intent.net_captured == 0
    ):
        return PaymentStatus.REFUNDED, False, None
    if status is PaymentStatus.REFUND_PENDING and intent.status == "canceled":
        # A refund of a fee that was never captured released the hold instead.
        return PaymentStatus.RELEASED, False, None
    return status, False, None


def _give_back(
    status: PaymentStatus, intent: IntentView
) -> tuple[PaymentStatus, PaymentAction | None]:
    # Money found on the card of a booking that is over: release a live hold, refund a kept
    # fee, through the outbox like any other payment.
    if intent.is_live_hold:
        return PaymentStatus.RELEASE_PENDING, PaymentAction.RELEASE
    if intent.net_captured > 0:
        return PaymentStatus.REFUND_PENDING, PaymentAction.REFUND
    return status, None


def _no_intent(facts: PaymentFacts, unchanged: PaymentMove) -> PaymentMove:
    # The provider has no intent for this booking, which is over and so will never place one:
    # a release or refund still pending has nothing to undo, and the fee, never held, settles
    # as released. Only a booking that recorded no intent qualifies: one that has an intent
    # learns its fate from the provider's view of it; if a hold turns up later, it is given back.
    if facts.active or facts.intent_id is not None:
        return unchanged
    if facts.status not in (PaymentStatus.RELEASE_PENDING, PaymentStatus.REFUND_PENDING):
        return unchanged
    return attrs.evolve(unchanged, status=PaymentStatus.RELEASED, changed=True)
