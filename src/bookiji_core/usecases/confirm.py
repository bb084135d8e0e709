"""confirm_booking: claim the slot, create the booking and queue the $1 hold, exactly once."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import attrs

from bookiji_core.access import Principal, Role
from bookiji_core.booking import Booking
from bookiji_core.errors import (
    BookingNotFound,
    DomainError,
    IdempotencyInProgress,
    InvalidInput,
    QuoteNotFound,
    TimeInPast,
    rebuild,
)
from bookiji_core.idempotency import IdempotencyRecord, KeyState
from bookiji_core.ports import Clock, Ids, UnitOfWork
from bookiji_core.usecases.changes import log_access, record_changes
from bookiji_core.values import BookingId, QuoteId, VendorId

DEFAULT_CONFIRM_WITHIN = timedelta(minutes=15)


@attrs.frozen
class ConfirmBooking:
    principal: Principal
    quote_id: str
    provider_id: str
    payment_method: str
    idempotency_key: str
    fingerprint: str


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
    confirm_within: timedelta = DEFAULT_CONFIRM_WITHIN,
) -> ConfirmResult:
    """Three short transactions: claim the key, do the work and complete the key atomically,
    or (on a refusal) record the refusal so that a retry replays it."""
    _validate(cmd)
    scope = cmd.principal.subject_id
    replay = _claim_key(cmd, scope, uow, clock)
    if replay is not None:
        return _replay(replay, uow)
    try:
        booking = _place(cmd, scope, uow, clock, ids, confirm_within)
    except DomainError as refusal:
        _finish_key(uow, scope, cmd.idempotency_key, refusal)
        raise
    except BaseException:
        _release_key(uow, scope, cmd.idempotency_key)
        raise
    return ConfirmResult(booking, replayed=False)


def _claim_key(
    cmd: ConfirmBooking, scope: str, uow: UnitOfWork, clock: Clock
) -> IdempotencyRecord | None:
    now = clock.now()
    with uow:
        record = uow.idempotency.get(scope, cmd.idempotency_key)
        if record is not None and record.check_replay(cmd.fingerprint, now):
            return record
        fresh = IdempotencyRecord.start(scope, cmd.idempotency_key, cmd.fingerprint, now)
        if record is None:
            uow.idempotency.insert(fresh)
        else:  # expired, or abandoned by a crashed request: take it over
            uow.idempotency.replace(fresh)
        uow.commit()
    return None


def _replay(record: IdempotencyRecord, uow: UnitOfWork) -> ConfirmResult:
    if record.booking_id is None:
        raise rebuild(record.error_code or DomainError.code, record.error_message or "")
    with uow.read_only():
        booking = uow.bookings.get(BookingId(record.booking_id))
    if booking is None:
        raise BookingNotFound(f"booking {record.booking_id} no longer exists")
    return ConfirmResult(booking, replayed=True)


def _place(
    cmd: ConfirmBooking,
    scope: str,
    uow: UnitOfWork,
    clock: Clock,
    ids: Ids,
    confirm_within: timedelta,
) -> Booking:
    now = clock.now()
    with uow:
        quote = uow.quotes.get(QuoteId(cmd.quote_id))
        if quote is None or quote.customer_id != scope:
            raise QuoteNotFound(f"quote {cmd.quote_id} does not exist")
        quote.ensure_live(now)
        candidate = quote.candidate(cmd.provider_id)
        interval = quote.request.interval
        if interval.start <= now:
            raise TimeInPast("the quoted time has already passed")
        # SimCity's traffic stays tagged: a synthetic customer's booking is synthetic.
        customer = uow.customers.get(quote.customer_id)
        booking = Booking.place(
            booking_id=BookingId(ids.new("bk")),
            quote_id=quote.id,
            customer_id=quote.customer_id,
            vendor_id=VendorId(candidate.vendor_id),
            interval=interval,
            price=candidate.price,
            commitment_fee=quote.commitment_fee,
            payment_method=cmd.payment_method,
            confirm_within=confirm_within,
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
        _complete(uow, scope, cmd.idempotency_key, booking_id=booking.id)
        uow.commit()
    return booking


def _complete(
    uow: UnitOfWork,
    scope: str,
    key: str,
    *,
    booking_id: str | None = None,
    error: DomainError | None = None,
) -> None:
    record = uow.idempotency.get(scope, key)
    if record is None:  # another request took the key over after our lease ran out
        raise IdempotencyInProgress("the Idempotency-Key was taken over by a retry")
    uow.idempotency.replace(
        attrs.evolve(
            record,
            state=KeyState.COMPLETED,
            booking_id=booking_id,
            error_code=error.code if error else None,
            error_message=error.message if error else None,
        )
    )


def _finish_key(uow: UnitOfWork, scope: str, key: str, refusal: DomainError) -> None:
    if isinstance(refusal, IdempotencyInProgress):
        return
    with uow:
        _complete(uow, scope, key, error=refusal)
        uow.commit()


def _release_key(uow: UnitOfWork, scope: str, key: str) -> None:
    # An unexpected failure (storage down): free the key so that a retry can run afresh. If
    # even that fails, the key's short lease expires and a retry takes it over.
    with contextlib.suppress(Exception), uow:
        uow.idempotency.delete(scope, key)
        uow.commit()
