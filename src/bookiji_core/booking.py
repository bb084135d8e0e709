"""The Booking aggregate: its lifecycle state machine, its audit trail and its payment commands."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import attrs

from bookiji_core.errors import Forbidden, IllegalTransition
from bookiji_core.payments import (
    GatewayStep,
    IntentView,
    PaymentAction,
    PaymentCommand,
    PaymentStatus,
    next_step,
)
from bookiji_core.values import BookingId, CustomerId, Interval, Money, QuoteId, VendorId


class BookingState(enum.StrEnum):
    QUOTED = "quoted"
    HOLD_PLACED = "hold_placed"
    PROVIDER_CONFIRMED = "provider_confirmed"
    RECEIPT_ISSUED = "receipt_issued"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


# States in which the booking holds the vendor's time.
ACTIVE_STATES = frozenset(
    {BookingState.HOLD_PLACED, BookingState.PROVIDER_CONFIRMED, BookingState.RECEIPT_ISSUED}
)


class ActorType(enum.StrEnum):
    CUSTOMER = "customer"
    VENDOR = "vendor"
    ADMIN = "admin"
    SYSTEM = "system"
    WEBHOOK = "webhook"


@attrs.frozen
class Actor:
    type: ActorType
    id: str

    @classmethod
    def system(cls, name: str = "bookiji") -> Actor:
        return cls(ActorType.SYSTEM, name)


@attrs.frozen
class AuditEntry:
    """One state change of a booking; appended, never changed."""

    booking_id: BookingId
    from_state: BookingState
    to_state: BookingState
    action: str
    actor_type: ActorType
    actor_id: str
    reason: str
    at: datetime


@attrs.define
class Booking:
    id: BookingId
    quote_id: QuoteId
    customer_id: CustomerId
    vendor_id: VendorId
    interval: Interval
    price: Money
    commitment_fee: Money
    payment_method: str
    state: BookingState
    payment_status: PaymentStatus
    hold_expires_at: datetime
    created_at: datetime
    updated_at: datetime
    payment_intent_id: str | None = None
    payment_sequence: int = 0
    version: int = 0
    synthetic: bool = False
    # New audit entries and payment commands, persisted with the booking by the use case.
    new_audit: list[AuditEntry] = attrs.field(factory=list, eq=False, repr=False)
    new_commands: list[PaymentCommand] = attrs.field(factory=list, eq=False, repr=False)

    @classmethod
    def place(
        cls,
        *,
        booking_id: BookingId,
        quote_id: QuoteId,
        customer_id: CustomerId,
        vendor_id: VendorId,
        interval: Interval,
        price: Money,
        commitment_fee: Money,
        payment_method: str,
        confirm_within: timedelta,
        now: datetime,
        synthetic: bool = False,
    ) -> Booking:
        """A customer confirms a quote: the slot is held and the $1 hold is requested."""
        booking = cls(
            id=booking_id,
            quote_id=quote_id,
            customer_id=customer_id,
            vendor_id=vendor_id,
            interval=interval,
            price=price,
            commitment_fee=commitment_fee,
            payment_method=payment_method,
            state=BookingState.QUOTED,
            payment_status=PaymentStatus.HOLD_PENDING,
            hold_expires_at=now + confirm_within,
            created_at=now,
            updated_at=now,
            synthetic=synthetic,
        )
        actor = Actor(ActorType.CUSTOMER, customer_id)
        booking._move(BookingState.HOLD_PLACED, "confirm", actor, "customer confirmed quote", now)
        booking._request(PaymentAction.PLACE_HOLD)
        return booking

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    def confirm_by_provider(self, actor: Actor, now: datetime) -> None:
        """The vendor accepts in time: the hold is captured."""
        if actor.type is ActorType.VENDOR and actor.id != self.vendor_id:
            raise Forbidden("only the booked vendor may confirm this booking")
        self._require(BookingState.HOLD_PLACED, "provider_confirm")
        if now >= self.hold_expires_at:
            raise IllegalTransition(
                f"booking {self.id} passed its confirmation deadline "
                f"{self.hold_expires_at.isoformat()}"
            )
        self._move(
            BookingState.PROVIDER_CONFIRMED, "provider_confirm", actor, "vendor accepted", now
        )
        self.payment_status = PaymentStatus.CAPTURE_PENDING
        self._request(PaymentAction.CAPTURE)

    def cancel(self, actor: Actor, now: datetime, reason: str) -> None:
        """Cancel before the vendor confirms: the hold is released, never captured."""
        if actor.type is ActorType.CUSTOMER and actor.id != self.customer_id:
            raise Forbidden("only the booking's customer may cancel it")
        self._require(BookingState.HOLD_PLACED, "cancel")
        self._move(BookingState.CANCELLED, "cancel", actor, reason, now)
        self._release_or_refund()

    def auto_cancel_if_due(self, now: datetime) -> bool:
        """The vendor did not confirm within T: cancel and release. Returns whether it did."""
        if self.state is not BookingState.HOLD_PLACED or now < self.hold_expires_at:
            return False
        reason = f"vendor did not confirm by {self.hold_expires_at.isoformat()}"
        self._move(BookingState.CANCELLED, "auto_cancel", Actor.system("auto-cancel"), reason, now)
        self._release_or_refund()
        return True

    def issue_receipt(self, actor: Actor, now: datetime) -> None:
        self._require(BookingState.PROVIDER_CONFIRMED, "issue_receipt")
        self._move(BookingState.RECEIPT_ISSUED, "issue_receipt", actor, "fee captured", now)

    def roll_back(self, actor: Actor, now: datetime, reason: str) -> None:
        """Operator rollback: undo whatever the booking did to the customer's card and slot."""
        if actor.type is not ActorType.ADMIN:
            raise Forbidden("rollback is an admin-only operation")
        if self.state is BookingState.HOLD_PLACED:
            self._move(BookingState.CANCELLED, "rollback", actor, reason, now)
        elif self.state in (BookingState.PROVIDER_CONFIRMED, BookingState.RECEIPT_ISSUED):
            self._move(BookingState.REFUNDED, "rollback", actor, reason, now)
        else:
            # Already cancelled or refunded: a rerun at 3 a.m. is safe and leaves a trace.
            # Money still pending sits in the outbox (see `bkctl dlq list`), not here.
            self._move(self.state, "rollback", actor, f"{reason} (already {self.state})", now)
            return
        self._release_or_refund()

    def apply_payment(self, intent: IntentView, actor: Actor, now: datetime) -> bool:
        """Bring the payment status up to what the provider reports for the booking's intent.

        Only moves forward, and only the moves the current status allows, so the relay's
        result and webhooks may arrive in any order, late or twice: the booking ends in the
        same state. Two facts override a settled status, because the provider's state is the
        truth: a fee captured after the payment was marked failed (captured, with a receipt
        if the vendor confirmed; given back if the booking is over), and a hold that shows up
        on a booking over and settled as released without one (released). Money given back
        is requested as a payment command (`new_commands`). Returns whether anything
        changed."""
        if self.payment_intent_id is None:
            if not intent.was_held:
                return False
            self.payment_intent_id = intent.id
            if self.payment_status is PaymentStatus.HOLD_PENDING:
                self.payment_status = PaymentStatus.HELD
            elif self.payment_status is PaymentStatus.RELEASED and not self.is_active:
                # Settled as released because the provider had no intent (apply_no_intent),
                # and a hold turns up after all (a relay that stalled past its lease placed
                # it late): no money stays on the card of a booking that is over.
                self._give_back(intent)
            self.updated_at = now
            self.apply_payment(intent, actor, now)
            return True
        if intent.id != self.payment_intent_id:
            return False  # a stray intent for this booking: reconciliation's business
        before = self.payment_status
        status = self.payment_status
        if status is PaymentStatus.CAPTURE_PENDING and intent.amount_captured > 0:
            self.payment_status = PaymentStatus.CAPTURED
            if self.state is BookingState.PROVIDER_CONFIRMED:
                self.issue_receipt(actor, now)
        elif status is PaymentStatus.FAILED and intent.net_captured > 0:
            # The provider's word wins over a failure recorded before: a capture that failed
            # (its hold was dead-lettered) and went through once the DLQ was drained. A booking
            # still on is captured and gets its receipt; one that is over gets its fee back.
            if self.is_active:
                self.payment_status = PaymentStatus.CAPTURED
                if self.state is BookingState.PROVIDER_CONFIRMED:
                    self.issue_receipt(actor, now)
            else:
                self._give_back(intent)
        elif status is PaymentStatus.RELEASE_PENDING and intent.status == "canceled":
            self.payment_status = PaymentStatus.RELEASED
        elif (
            status in (PaymentStatus.RELEASE_PENDING, PaymentStatus.REFUND_PENDING)
            and intent.amount_captured > 0
            and intent.net_captured == 0
        ):
            self.payment_status = PaymentStatus.REFUNDED
        elif status is PaymentStatus.REFUND_PENDING and intent.status == "canceled":
            # A refund of a fee that was never captured released the hold instead.
            self.payment_status = PaymentStatus.RELEASED
        if self.payment_status is not before:
            self.updated_at = now
            return True
        return False

    def apply_no_intent(self, now: datetime) -> bool:
        """The provider has no intent for this booking, which is over and so will never place
        one: a release or refund still pending has nothing to undo, and the fee, never held,
        settles as released. Returns whether anything changed.

        Only a booking that recorded no intent qualifies: one that has an intent learns its
        fate from the provider's view of it (apply_payment). If a hold does turn up later,
        apply_payment gives it back."""
        if self.is_active or self.payment_intent_id is not None:
            return False
        if self.payment_status not in (PaymentStatus.RELEASE_PENDING, PaymentStatus.REFUND_PENDING):
            return False
        self.payment_status = PaymentStatus.RELEASED
        self.updated_at = now
        return True

    def next_payment_step(self, command: PaymentCommand, intent: IntentView | None) -> GatewayStep:
        """The provider call `command` still needs. A booking cancelled or rolled back before
        its hold or capture went out takes no money: the hold is not placed (or, if an
        earlier attempt placed it, released) and the capture becomes a release."""
        if not self.is_active and command.action in (
            PaymentAction.PLACE_HOLD,
            PaymentAction.CAPTURE,
        ):
            return next_step(PaymentAction.RELEASE, intent)
        return next_step(command.action, intent)

    def payment_failed(self, action: PaymentAction, reason: str, now: datetime) -> None:
        """The provider refused for good. A hold that could not be placed cancels the booking:
        the vendor's time is freed and nothing is left to capture."""
        self.payment_status = PaymentStatus.FAILED
        self.updated_at = now
        if action is PaymentAction.PLACE_HOLD and self.state in (
            BookingState.HOLD_PLACED,
            BookingState.PROVIDER_CONFIRMED,
        ):
            actor = Actor.system("payments")
            self._move(BookingState.CANCELLED, "payment_failed", actor, reason, now)

    def refund_stray_charge(self, intent_id: str) -> PaymentCommand:
        """Reconciliation found a second captured fee for this booking: refund that intent."""
        if intent_id == self.payment_intent_id and self.state is BookingState.RECEIPT_ISSUED:
            raise IllegalTransition(f"{intent_id} is the fee booking {self.id} rightly keeps")
        self.payment_sequence += 1
        command = PaymentCommand(
            self.id, PaymentAction.REFUND, self.commitment_fee, self.payment_sequence, intent_id
        )
        self.new_commands.append(command)
        return command

    def _give_back(self, intent: IntentView) -> None:
        # Money found on the card of a booking that is over: release a live hold, refund a
        # kept fee, through the outbox like any other payment.
        if intent.is_live_hold:
            self.payment_status = PaymentStatus.RELEASE_PENDING
            self._request(PaymentAction.RELEASE)
        elif intent.net_captured > 0:
            self.payment_status = PaymentStatus.REFUND_PENDING
            self._request(PaymentAction.REFUND)

    def _release_or_refund(self) -> None:
        # A fee that may have been captured is refunded; one that can only be held is released.
        # A failed payment may still have left a hold, or a capture once its dead letters are
        # drained: a refund leaves neither (it releases a hold, refunds a fee, or finds nothing).
        if self.payment_status in (
            PaymentStatus.CAPTURE_PENDING,
            PaymentStatus.CAPTURED,
            PaymentStatus.FAILED,
        ):
            self.payment_status = PaymentStatus.REFUND_PENDING
            self._request(PaymentAction.REFUND)
        elif self.payment_status in (PaymentStatus.HOLD_PENDING, PaymentStatus.HELD):
            self.payment_status = PaymentStatus.RELEASE_PENDING
            self._request(PaymentAction.RELEASE)

    def _require(self, expected: BookingState, action: str) -> None:
        if self.state is not expected:
            raise IllegalTransition(f"cannot {action} booking {self.id} in state {self.state}")

    def _move(
        self, to: BookingState, action: str, actor: Actor, reason: str, now: datetime
    ) -> None:
        self.new_audit.append(
            AuditEntry(self.id, self.state, to, action, actor.type, actor.id, reason, now)
        )
        self.state = to
        self.updated_at = now

    def _request(self, action: PaymentAction) -> None:
        self.payment_sequence += 1
        self.new_commands.append(
            PaymentCommand(self.id, action, self.commitment_fee, self.payment_sequence)
        )
