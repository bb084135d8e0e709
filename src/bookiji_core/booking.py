"""The Booking aggregate: its lifecycle state machine, its audit trail and its payment commands."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from bookiji_core.booking_states import ACTIVE_STATES, Actor, ActorType, AuditEntry, BookingState
from bookiji_core.errors import Forbidden, IllegalTransition
from bookiji_core.payment_decisions import PaymentCommand, PaymentFacts, PaymentMove
from bookiji_core.payment_values import PaymentAction, PaymentStatus
from bookiji_core.values import BookingId, CustomerId, Interval, Money, QuoteId, VendorId

__all__ = ["ACTIVE_STATES", "Actor", "ActorType", "AuditEntry", "Booking", "BookingState"]


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

    @property
    def payment_facts(self) -> PaymentFacts:
        """What the payment rules (payment_decisions) need to know of this booking."""
        return PaymentFacts(
            booking_id=self.id,
            status=self.payment_status,
            intent_id=self.payment_intent_id,
            active=self.is_active,
            awaiting_receipt=self.state is BookingState.PROVIDER_CONFIRMED,
        )

    def settle(self, move: PaymentMove, actor: Actor, now: datetime, reason: str = "") -> bool:
        """Follow what an answer of the provider means (payment_decisions.answer or refused):
        record its intent and status, issue the receipt, queue money to give back, cancel a
        booking whose hold was refused for good. Returns whether anything changed."""
        if not move.changed:
            return False
        self.payment_intent_id = move.intent_id
        if move.give_back is not None:
            self._request(move.give_back)
        self.payment_status = move.status
        self.updated_at = now
        if move.issue_receipt:
            self.issue_receipt(actor, now)
        if move.cancel_booking and self.state in (
            BookingState.HOLD_PLACED,
            BookingState.PROVIDER_CONFIRMED,
        ):
            self._move(BookingState.CANCELLED, "payment_failed", actor, reason, now)
        return True

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
