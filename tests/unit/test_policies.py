"""Domain constants live once, in core policies; settings and the edge only override them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bookiji_core import Principal, QuotePolicy, Role
from bookiji_core.policy import BookingPolicy
from bookiji_core.usecases import ConfirmBooking, confirm_booking
from bookiji_entry.inputs import quote_request
from bookiji_entry.settings import Settings
from tests.unit.conftest import CUSTOMER, NOW, World, make_vendor
from tests.unit.test_confirm_booking import quote_for


def test_the_booking_policy_carries_t_and_refuses_a_window_that_is_not_positive() -> None:
    assert BookingPolicy().confirm_within == timedelta(minutes=15)
    with pytest.raises(ValueError, match="confirm_within"):
        BookingPolicy(confirm_within=timedelta(0))


def test_confirm_gives_the_vendor_the_policys_window_to_confirm(world: World) -> None:
    world.add_vendors(make_vendor(1))
    quote = quote_for(world)
    cmd = ConfirmBooking(Principal(Role.CUSTOMER, CUSTOMER), quote.id, "v1", "pm_card_visa", "k")
    policy = BookingPolicy(confirm_within=timedelta(minutes=2))

    booking = confirm_booking(cmd, world.uow(), world.clock, world.ids, policy).booking

    assert booking.hold_expires_at == NOW + timedelta(minutes=2)


def test_a_quote_request_without_radius_or_duration_gets_the_policys_defaults() -> None:
    body = {
        "service_type": "haircut",
        "location": {"latitude": 49.28, "longitude": -123.12},
        "date_time": "2030-01-07T10:00:00Z",
    }
    alice = Principal(Role.CUSTOMER, CUSTOMER)

    pilot = quote_request(body, alice, QuotePolicy())
    tuned = quote_request(
        body, alice, QuotePolicy(default_radius_km=3, default_duration_minutes=30)
    )

    assert (pilot.radius_km, pilot.interval.minutes) == (10.0, 60)
    assert (tuned.radius_km, tuned.interval.minutes) == (3, 30)


def test_settings_default_to_the_core_policies_and_only_override_them() -> None:
    assert Settings.from_env({}).confirm_within == BookingPolicy().confirm_within
    assert Settings.from_env({}).currency == QuotePolicy().currency
    assert Settings.from_env({"BOOKIJI_CONFIRM_WITHIN_MINUTES": "3"}).confirm_within == (
        timedelta(minutes=3)
    )
