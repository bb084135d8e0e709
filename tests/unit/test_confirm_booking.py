"""confirm_booking: one transaction, exactly-once per idempotency key, clear refusals."""

from datetime import timedelta

import pytest

from bookiji_core import BookingState, Interval, OutboxState, Principal, Quote, QuoteRequest, Role
from bookiji_core.errors import (
    IdempotencyConflict,
    IdempotencyInProgress,
    QuoteExpired,
    QuoteNotFound,
    SlotTaken,
    TimeInPast,
)
from bookiji_core.idempotency import IdempotencyRecord
from bookiji_core.usecases import (
    ConfirmBooking,
    cancel_booking,
    confirm_booking,
    get_booking,
    request_quote,
)
from tests.unit.conftest import CUSTOMER, HERE, NOW, World, make_vendor

ALICE = Principal(Role.CUSTOMER, CUSTOMER)


def quote_for(world: World, customer: str = CUSTOMER, minutes_ahead: int = 120) -> Quote:
    request = QuoteRequest(
        customer,  # type: ignore[arg-type]
        "haircut",
        HERE,
        10.0,
        Interval.starting(NOW + timedelta(minutes=minutes_ahead), 60),
    )
    return request_quote(
        request, world.uow(), world.clock, world.ids, world.policy, world.maps
    ).quote


def command(
    quote: Quote, provider: str = "v1", key: str = "k1", who: Principal = ALICE
) -> ConfirmBooking:
    return ConfirmBooking(who, quote.id, provider, "pm_card_visa", key)


@pytest.fixture
def quoted(world: World) -> Quote:
    world.add_vendors(make_vendor(1), make_vendor(2))
    return quote_for(world)


def confirm(world: World, cmd: ConfirmBooking):  # type: ignore[no-untyped-def]
    return confirm_booking(cmd, world.uow(), world.clock, world.ids)


def test_confirm_writes_booking_outbox_audit_and_access_log_together(
    world: World, quoted: Quote
) -> None:
    booking = confirm(world, command(quoted)).booking
    with world.uow() as uow:
        stored = uow.bookings.get(booking.id)
        assert stored is not None and stored.state is BookingState.HOLD_PLACED
        assert [m.command.action for m in uow.outbox.for_booking(booking.id)] == ["place_hold"]
        assert uow.outbox.counts()[OutboxState.QUEUED] == 1
        assert [e.action for e in uow.audit.for_booking(booking.id)] == ["confirm"]
        assert [e.purpose for e in uow.access_log.for_subject(CUSTOMER)] == ["booking.confirm"]


def test_a_retry_with_the_same_key_and_body_replays_the_same_booking(
    world: World, quoted: Quote
) -> None:
    first = confirm(world, command(quoted))
    again = confirm(world, command(quoted))
    assert again.replayed and again.booking.id == first.booking.id
    with world.uow() as uow:
        assert len(uow.bookings.list_for()) == 1
        assert len(uow.outbox.for_booking(first.booking.id)) == 1


def test_the_same_key_with_another_body_is_a_conflict(world: World, quoted: Quote) -> None:
    confirm(world, command(quoted))
    with pytest.raises(IdempotencyConflict):
        confirm(world, command(quoted, provider="v2"))


def test_a_retry_while_the_first_request_runs_is_told_to_wait(world: World, quoted: Quote) -> None:
    cmd = command(quoted)
    with world.uow() as uow:
        uow.idempotency.insert(IdempotencyRecord.start(CUSTOMER, "k1", cmd.fingerprint, NOW))
        uow.commit()
    with pytest.raises(IdempotencyInProgress):
        confirm(world, cmd)
    # The first request crashed: once its lease lapses a retry takes the key over.
    world.clock.advance(timedelta(seconds=31))
    assert not confirm(world, cmd).replayed


def test_a_refusal_is_replayed_for_a_retry_with_the_same_key(world: World, quoted: Quote) -> None:
    bob = Principal(Role.CUSTOMER, "c2")
    bobs_quote = quote_for(world, "c2")
    alices = confirm(world, command(quoted, key="first")).booking
    with pytest.raises(SlotTaken):
        confirm(world, command(bobs_quote, key="k", who=bob))
    cancel_booking(alices.id, ALICE, world.uow(), world.clock, world.ids, "freeing the slot")
    # The retry replays the first answer; only a new key asks afresh.
    with pytest.raises(SlotTaken):
        confirm(world, command(bobs_quote, key="k", who=bob))
    assert not confirm(world, command(bobs_quote, key="k2", who=bob)).replayed


def test_two_keys_for_one_slot_give_one_booking_and_one_slot_taken(
    world: World, quoted: Quote
) -> None:
    confirm(world, command(quoted, key="a"))
    with pytest.raises(SlotTaken):
        confirm(world, command(quoted, key="b"))


def test_an_expired_unknown_or_foreign_quote_is_refused(world: World, quoted: Quote) -> None:
    with pytest.raises(QuoteNotFound):
        confirm(world, command(quoted, who=Principal(Role.CUSTOMER, "c2")))
    world.clock.advance(timedelta(minutes=15))
    with pytest.raises(QuoteExpired):
        confirm(world, command(quoted, key="late"))


def test_a_quote_whose_time_has_come_cannot_be_confirmed(world: World) -> None:
    world.add_vendors(make_vendor(1))
    soon = quote_for(world, minutes_ahead=5)
    world.clock.advance(timedelta(minutes=6))  # the quote is still within its 15 minutes
    with pytest.raises(TimeInPast):
        confirm(world, command(soon))


def test_only_a_customer_can_confirm(world: World, quoted: Quote) -> None:
    from bookiji_core.errors import Forbidden

    with pytest.raises(Forbidden):
        confirm(world, command(quoted, who=Principal(Role.VENDOR, "v1")))


def test_reading_a_booking_is_access_logged_and_hidden_from_other_customers(
    world: World, quoted: Quote
) -> None:
    from bookiji_core.errors import BookingNotFound

    booking = confirm(world, command(quoted)).booking
    view = get_booking(booking.id, Principal(Role.ADMIN, "ops"), world.uow(), world.clock)
    assert [e.action for e in view.audit] == ["confirm"]
    with pytest.raises(BookingNotFound):
        get_booking(booking.id, Principal(Role.CUSTOMER, "c2"), world.uow(), world.clock)
    with world.uow() as uow:
        entries = uow.access_log.for_subject(CUSTOMER)
    assert [(e.actor_id, e.purpose) for e in entries][-1] == ("ops", "booking.read")
