"""The simulated peers stand alone: SimCity's provider signs as Stripe does and Stripe's
verifier accepts it, the map service names the cells the fallback grid would, and the
composition root builds SimCity's graphs."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bookiji_adapters.maps.grid import GridMapProvider
from bookiji_adapters.memory import ManualClock
from bookiji_adapters.simcity import SimCityPaymentGateway
from bookiji_adapters.simcity.events import signature_header
from bookiji_adapters.simcity.maps import SimCityMapServer
from bookiji_adapters.stripe import webhooks as stripe_webhooks
from bookiji_core.errors import DomainError
from bookiji_core.values import BookingId, Location, Money
from bookiji_entry.bootstrap import bootstrap, inject, simcity_run_wiring
from bookiji_entry.settings import MEMORY_URL, Profile, Settings
from bookiji_entry.simcity_parts import simcity_daemon
from bookiji_simcity.plan import START


@given(payload=st.binary(max_size=200), secret=st.text(min_size=1, max_size=30))
def test_the_simulated_provider_signs_a_payload_as_stripe_does(payload: bytes, secret: str) -> None:
    assert signature_header(payload, secret, 1_700_000_000) == stripe_webhooks.signature_header(
        payload, secret, 1_700_000_000
    )


def test_the_stripe_verifier_accepts_the_webhooks_the_simulated_provider_sends() -> None:
    clock = ManualClock(START)
    received: list[tuple[bytes, str]] = []
    gateway = SimCityPaymentGateway(clock=clock, rng=random.Random(1), webhook_secret="whsec_x")
    gateway.subscribe(lambda payload, header: received.append((payload, header)))
    gateway.place_hold(Money("CAD", 100), "pm_card_visa", BookingId("bk_1"), "k-1")
    gateway.deliver_due()

    payload, header = received[0]
    event = stripe_webhooks.verified_event(payload, header, "whsec_x", now=START.timestamp())

    assert event.type == "payment_intent.amount_capturable_updated"
    with pytest.raises(DomainError):
        stripe_webhooks.verified_event(payload, header, "whsec_other", now=START.timestamp())


@given(
    latitude=st.floats(min_value=-89.9, max_value=89.9),
    longitude=st.floats(min_value=-179.9, max_value=179.9),
)
def test_the_map_service_names_the_cell_the_fallback_grid_names(
    latitude: float, longitude: float
) -> None:
    grid = GridMapProvider(cell_degrees=0.02).zone_for(Location(latitude, longitude))
    server = SimCityMapServer()

    assert server.zone(Location(latitude, longitude)) == "SimCity " + grid.removeprefix("grid ")


def test_a_run_s_services_come_from_the_composition_root_with_the_run_s_clock() -> None:
    clock = ManualClock(START)
    wiring = simcity_run_wiring(clock, 7, timedelta(seconds=8))
    try:
        assert wiring.clock is clock
        assert wiring.confirm_within == timedelta(seconds=8)
        assert wiring.gateway.clock is clock
        wiring.gateway.place_hold(Money("CAD", 100), "pm_card_visa", BookingId("bk_1"), "k")
        assert len(wiring.gateway.effects) == 1
    finally:
        wiring.close()


def test_the_daemon_is_built_over_the_server_s_own_services() -> None:
    settings = Settings(profile=Profile.TEST, database_url=MEMORY_URL)
    services = bootstrap(settings)
    daemon = inject(simcity_daemon, services)

    assert daemon.status()["running"] is False
