"""confirm_booking: claim the slot, create the booking and queue the $1 hold, exactly once."""

from __future__ import annotations

import attrs

from bookiji_core.access import Principal, Role
from bookiji_core.booking import Booking
from bookiji_core.errors import BookingNotFound, InvalidInput, QuoteNotFound, TimeInPast
from bookiji_core.idempotency import fingerprint
from bookiji_core.policy import BookingPolicy
from bookiji_core.ports import Clock, Ids, UnitOfWork
from bookiji_core.usecases.changes import log_access, record_changes
from bookiji_core.usecases.idempotent import Claim, run_once
from bookiji_core.values import BookingId, QuoteId, VendorId


@attrs.frozen
class ConfirmBooking:
    principal: Principal
    quote_id: str
    provider_id: str
    payment_method: str
    idempotency_key: str

    @property
    def fingerprint(self) -> str:
        """What makes "the same request" under one key: the fields that shape the outcome
        (not the caller, whose id scopes the key; not key order, spacing or extra fields)."""
        return fingerprint(
            {
                "quote_id": self.quote_id,
                "provider_id": self.provider_id,
                "payment_method": self.payment_method,
            }
        )


@attrs.frozen
class ConfirmResult:
    booking: Booking
    replayed: bool


def _validate(cmd: ConfirmBooking) -> None:
    cmd.principal.require(Role.CUSTOMER)
    for field, value in (("quote_id", cmd.quote_id), ("provider_id", cmd.provider_id)):
        if not value or len(value) > 64:
            raise InvalidInput(field, f"{field} is required")
    if not cmd.payment_method or len(cmd.payment_method) > 255:
        raise InvalidInput("payment_method", "payment_method (e.g. pm_card_visa) is required")


def confirm_booking(
    cmd: ConfirmBooking,
    uow: UnitOfWork,
    clock: Clock,
    ids: Ids,
    policy: BookingPolicy | None = None,
) -> ConfirmResult:
    """Once per idempotency key (scoped to the customer): a retry replays the first booking
    or the first refusal."""
    _validate(cmd)
    rules = policy or BookingPolicy()

    def place(claim: Claim) -> ConfirmResult:
        now = clock.now()
        with uow:
            quote = uow.quotes.get(QuoteId(cmd.quote_id))
            if quote is None or quote.customer_id != cmd.principal.subject_id:
                raise QuoteNotFound(f"quote {cmd.quote_id} does not exist")
            quote.ensure_live(now)
            candidate = quote.candidate(cmd.provider_id)
            if quote.request.interval.start <= now:
                raise TimeInPast("the quoted time has already passed")
            # SimCity's traffic stays tagged: a synthetic customer's booking is synthetic.
            customer = uow.customers.get(quote.customer_id)
            booking = Booking.place(
                booking_id=BookingId(ids.new("bk")),
                quote_id=quote.id,
                customer_id=quote.customer_id,
                vendor_id=VendorId(candidate.vendor_id),
                interval=quote.request.interval,
                price=candidate.price,
                commitment_fee=quote.commitment_fee,
                payment_method=cmd.payment_method,
                confirm_within=rules.confirm_within,
                now=now,
                synthetic=customer is not None and customer.synthetic,
            )
            uow.bookings.add(booking)  # raises SlotTaken if the vendor's time is gone
            record_changes(uow, booking, ids, now)
            log_access(
                uow,
                subject_id=booking.customer_id,
                actor_id=cmd.principal.subject_id,
                purpose="booking.confirm",
                resource=f"booking:{booking.id}",
                at=now,
            )
            claim.complete(uow, booking.id)
            uow.commit()
        return ConfirmResult(booking, replayed=False)

    def replay(booking_id: str) -> ConfirmResult:
        with uow.read_only():
            booking = uow.bookings.get(BookingId(booking_id))
        if booking is None:
            raise BookingNotFound(f"booking {booking_id} no longer exists")
        return ConfirmResult(booking, replayed=True)

    return run_once(cmd, cmd.principal.subject_id, uow, clock, place, replay)
