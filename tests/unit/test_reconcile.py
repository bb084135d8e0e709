"""Reconciliation compares the ledger with the provider, counts double charges, and fixes them
through the outbox."""

from __future__ import annotations

import pytest

from bookiji_core import BookingId, PaymentAction
from bookiji_core.ledger import LedgerKind
from bookiji_core.usecases import ReconcileReport, reconcile
from bookiji_core.usecases.reconcile import DOUBLE_CHARGES
from tests.payments_world import FEE, PaymentWorld, SimulatedCrash, crash_at


@pytest.fixture
def world() -> PaymentWorld:
    return PaymentWorld()


def run(world: PaymentWorld, *, fix: bool = False) -> ReconcileReport:
    return reconcile(
        world.storage.unit_of_work(),
        world.gateway,
        world.clock,
        world.ids,
        world.telemetry,
        fix=fix,
    )


def captured_booking(world: PaymentWorld) -> str:
    booking_id = world.book()
    world.settle()
    world.vendor_confirms(booking_id)
    world.settle()
    return booking_id


def charge_again(world: PaymentWorld, booking_id: str) -> str:
    """A second fee for the same booking, as a bug or a foreign system might cause."""
    stray = world.gateway.place_hold(FEE, "pm_card_visa", BookingId(booking_id), "stray")
    world.gateway.capture(stray.id, "stray-capture")
    return stray.id


def test_a_clean_ledger_reconciles_with_no_double_charges(world: PaymentWorld) -> None:
    captured_booking(world)
    cancelled = world.book()
    world.settle()
    world.customer_cancels(cancelled)
    world.settle()

    report = run(world)

    assert (report.bookings_checked, report.double_charges, report.mismatches) == (2, 0, ())
    assert world.telemetry.last_double_charges == 0


def test_a_second_captured_fee_is_counted_as_a_double_charge(world: PaymentWorld) -> None:
    booking_id = captured_booking(world)
    stray = charge_again(world, booking_id)

    report = run(world)

    assert report.double_charged == (booking_id,)
    assert {(m.intent_id, m.kind) for m in report.mismatches} == {
        (stray, LedgerKind.HOLD),
        (stray, LedgerKind.CAPTURE),
    }
    assert world.telemetry.last_double_charges == 1
    with world.storage.unit_of_work() as uow:
        assert uow.controls.get(DOUBLE_CHARGES) == "1"


def test_fix_refunds_the_duplicate_through_the_outbox_and_keeps_the_real_fee(
    world: PaymentWorld,
) -> None:
    booking_id = captured_booking(world)
    own = world.booking(booking_id).payment_intent_id
    stray = charge_again(world, booking_id)

    report = run(world, fix=True)
    assert report.refunds_queued == (stray,)
    assert report.entries_added == 2
    assert world.gateway.retrieve(stray).net_captured == 100  # nothing called inline
    refund = world.messages(booking_id)[-1]
    assert (refund.command.action, refund.command.intent_id) == (PaymentAction.REFUND, stray)
    assert run(world, fix=True).refunds_queued == ()  # already queued: not queued twice

    world.settle()
    assert world.gateway.retrieve(stray).net_captured == 0
    assert world.gateway.retrieve(own or "").net_captured == 100
    after = run(world)
    assert (after.double_charges, after.mismatches) == (0, ())


def test_an_effect_the_ledger_missed_is_reported_until_the_relay_records_it(
    world: PaymentWorld,
) -> None:
    booking_id = world.book()
    world.settle()
    world.vendor_confirms(booking_id)
    with pytest.raises(SimulatedCrash):
        world.relay(checkpoint=crash_at("after_gateway")).run_once()
    world.gateway.pending.clear()  # and its webhook is late

    (missing,) = run(world).mismatches
    assert (missing.kind, missing.ledger_amount, missing.gateway_amount) == (
        LedgerKind.CAPTURE,
        None,
        100,
    )
    world.settle()
    assert run(world).mismatches == ()
