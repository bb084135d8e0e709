"""Feature flags with guards, and the operator rollback of one booking."""

from datetime import timedelta

import pytest

from bookiji_core import BookingState, PaymentAction, Principal, Role
from bookiji_core.errors import BookingNotFound, Forbidden, IllegalTransition, InvalidInput
from bookiji_core.flags import FeatureDisabled, FlagLocked
from bookiji_core.usecases.flags import list_flags, revert_last_change, set_flag, sla_notice
from bookiji_core.usecases.rollback import roll_back_booking
from tests.unit.conftest import World, make_vendor
from tests.unit.test_confirm_booking import ALICE, command, confirm, quote_for

ADMIN = Principal(Role.ADMIN, "ops-1")


def flags(world: World) -> dict[str, bool]:
    return {s.spec.name: s.on for s in list_flags(world.uow())}


def test_the_seed_defaults_hold_until_an_admin_changes_them(world: World) -> None:
    assert flags(world) == {
        "beta.public_directory": False,
        "maps.force_fallback": False,
        "ops.force_cancel": True,
        "ops.sla_banner": False,
        "payments.outbox": True,
    }


def test_payments_outbox_cannot_be_switched_off_by_anyone(world: World) -> None:
    with pytest.raises(FlagLocked):
        set_flag("payments.outbox", False, ADMIN, "testing", world.uow(), world.clock)
    assert flags(world)["payments.outbox"] is True


def test_only_an_admin_with_a_reason_changes_a_known_flag(world: World) -> None:
    with pytest.raises(Forbidden):
        set_flag("beta.public_directory", True, ALICE, "please", world.uow(), world.clock)
    with pytest.raises(InvalidInput):
        set_flag("beta.public_directory", True, ADMIN, "  ", world.uow(), world.clock)
    with pytest.raises(InvalidInput):
        set_flag("no.such.flag", True, ADMIN, "why", world.uow(), world.clock)
    state = set_flag("beta.public_directory", True, ADMIN, "beta opens", world.uow(), world.clock)
    assert (state.on, state.previous, state.changed_by) == (True, False, "ops-1")


def test_revert_last_change_puts_back_the_most_recent_flag(world: World) -> None:
    set_flag("maps.force_fallback", True, ADMIN, "provider down", world.uow(), world.clock)
    world.clock.advance(timedelta(minutes=1))
    set_flag("beta.public_directory", True, ADMIN, "beta opens", world.uow(), world.clock)
    reverted = revert_last_change(ADMIN, "latency regression", world.uow(), world.clock)
    assert reverted.spec.name == "beta.public_directory" and not reverted.on
    assert flags(world)["maps.force_fallback"] is True


def test_rollback_of_a_held_booking_cancels_it_and_queues_the_release(world: World) -> None:
    world.add_vendors(make_vendor(1))
    booking = confirm(world, command(quote_for(world))).booking
    result = roll_back_booking(booking.id, ADMIN, "drill", world.uow(), world.clock, world.ids)
    assert result.booking.state is BookingState.CANCELLED
    assert [m.command.action for m in result.payment_messages] == [PaymentAction.RELEASE]
    with world.uow() as uow:
        trail = uow.audit.for_booking(booking.id)
        log = uow.access_log.for_subject(booking.customer_id)
    assert (trail[-1].action, trail[-1].actor_id) == ("rollback", "ops-1")
    assert log[-1].purpose == "ops.rollback"


def test_a_second_rollback_changes_nothing_but_leaves_a_trace(world: World) -> None:
    world.add_vendors(make_vendor(1))
    booking = confirm(world, command(quote_for(world))).booking
    roll_back_booking(booking.id, ADMIN, "first", world.uow(), world.clock, world.ids)
    again = roll_back_booking(booking.id, ADMIN, "rerun", world.uow(), world.clock, world.ids)
    assert again.booking.state is BookingState.CANCELLED and again.payment_messages == ()
    with world.uow() as uow:
        assert [e.action for e in uow.audit.for_booking(booking.id)][-2:] == ["rollback"] * 2


def test_rollback_needs_an_admin_the_flag_and_a_real_booking(world: World) -> None:
    world.add_vendors(make_vendor(1))
    booking = confirm(world, command(quote_for(world))).booking
    with pytest.raises(Forbidden):
        roll_back_booking(booking.id, ALICE, "mine", world.uow(), world.clock, world.ids)
    with pytest.raises(BookingNotFound):
        roll_back_booking("bk_nope", ADMIN, "typo", world.uow(), world.clock, world.ids)
    set_flag("ops.force_cancel", False, ADMIN, "freeze", world.uow(), world.clock)
    with pytest.raises(FeatureDisabled):
        roll_back_booking(booking.id, ADMIN, "drill", world.uow(), world.clock, world.ids)


def test_the_sla_banner_needs_a_message_to_go_on_and_shows_it_until_it_goes_off(
    world: World,
) -> None:
    with pytest.raises(InvalidInput):
        set_flag("ops.sla_banner", True, ADMIN, "INC-1", world.uow(), world.clock)
    with pytest.raises(InvalidInput):
        set_flag("ops.sla_banner", True, ADMIN, "INC-1", world.uow(), world.clock, "x" * 281)
    with pytest.raises(InvalidInput):
        set_flag("maps.force_fallback", True, ADMIN, "INC-1", world.uow(), world.clock, "hi")
    assert sla_notice(world.uow()) is None

    on = set_flag("ops.sla_banner", True, ADMIN, "INC-1", world.uow(), world.clock, " Slow. ")
    assert (on.on, on.message, sla_notice(world.uow())) == (True, "Slow.", "Slow.")

    world.clock.advance(timedelta(minutes=1))
    set_flag("ops.sla_banner", False, ADMIN, "INC-1 over", world.uow(), world.clock)
    assert sla_notice(world.uow()) is None
    with pytest.raises(IllegalTransition):  # back on needs its message again
        revert_last_change(ADMIN, "oops", world.uow(), world.clock)
