"""Quote rules of DOMAIN.md: candidates, ranking, median price, expiry, intent reuse."""

import threading
from datetime import timedelta

import pytest

from bookiji_core import Interval, Location, Money, QuoteRequest
from bookiji_core.errors import InvalidInput, NoProvidersAvailable, TimeInPast
from bookiji_core.quoting import Candidate, price_and_eta
from bookiji_core.usecases import request_quote
from bookiji_core.values import VendorId
from tests.unit.conftest import CUSTOMER, HERE, NOW, World, make_vendor


def ask(world: World, minutes_ahead: int = 120, duration: int = 60, **kw: object) -> QuoteRequest:
    fields: dict[str, object] = {
        "customer_id": CUSTOMER,
        "service_type": "haircut",
        "location": HERE,
        "radius_km": 10.0,
        "interval": Interval.starting(NOW + timedelta(minutes=minutes_ahead), duration),
    }
    fields.update(kw)
    return QuoteRequest(**fields)  # type: ignore[arg-type]


def test_candidates_exclude_low_ratings_far_vendors_and_other_services(world: World) -> None:
    world.add_vendors(
        make_vendor(1),
        make_vendor(2, rating=3.9),
        make_vendor(3, location=Location(49.9, -123.1)),  # ~70 km away
        make_vendor(4, services=frozenset({"massage"})),
        make_vendor(5),
    )
    quote = request_quote(
        ask(world), world.uow(), world.clock, world.ids, world.policy, world.maps
    ).quote
    assert [c.vendor_id for c in quote.candidates] == ["v1", "v5"]


def test_a_vendor_already_booked_or_closed_at_that_time_is_not_a_candidate(world: World) -> None:
    world.add_vendors(make_vendor(1), make_vendor(2))
    with world.uow() as uow:  # v3 exists but has no open window
        uow.vendors.add(make_vendor(3))
        uow.commit()
    quote = request_quote(
        ask(world), world.uow(), world.clock, world.ids, world.policy, world.maps
    ).quote
    assert {c.vendor_id for c in quote.candidates} == {"v1", "v2"}


def test_ranking_keeps_the_top_five_by_weighted_score_deterministically(world: World) -> None:
    world.add_vendors(*(make_vendor(n) for n in range(1, 9)))
    first = request_quote(
        ask(world), world.uow(), world.clock, world.ids, world.policy, world.maps
    ).quote
    assert len(first.candidates) == 5
    scores = [c.score for c in first.candidates]
    assert scores == sorted(scores, reverse=True)
    # Nearer, faster vendors with equal ratings rank first.
    assert [c.vendor_id for c in first.candidates] == ["v1", "v2", "v3", "v4", "v5"]


def test_quote_price_is_the_median_of_the_top_three_and_eta_their_mean_plus_15(
    world: World,
) -> None:
    world.add_vendors(make_vendor(1), make_vendor(2), make_vendor(3), make_vendor(4))
    quote = request_quote(
        ask(world, duration=90), world.uow(), world.clock, world.ids, world.policy, world.maps
    ).quote
    # Hourly 4500, 5000, 5500 for 90 minutes -> 6750, 7500, 8250; median 7500.
    assert quote.price == Money("CAD", 7500)
    assert quote.eta_minutes == round((11 + 12 + 13) / 3) + 15
    assert quote.commitment_fee == Money("CAD", 100)
    assert quote.expires_at == NOW + timedelta(minutes=15)


def test_median_of_two_candidates_is_their_mean_rounded_half_up() -> None:
    def c(amount: int) -> Candidate:
        return Candidate(VendorId("v"), Money("CAD", amount), 20, "z", 1.0, 0.5)

    assert price_and_eta([c(1000), c(1001)])[0] == Money("CAD", 1001)
    assert price_and_eta([c(900)])[0] == Money("CAD", 900)


def test_the_same_intent_reuses_the_live_quote_until_it_expires(world: World) -> None:
    world.add_vendors(make_vendor(1))
    first = request_quote(ask(world), world.uow(), world.clock, world.ids, world.policy, world.maps)
    nudged = ask(world, location=Location(HERE.latitude + 0.0001, HERE.longitude))
    again = request_quote(nudged, world.uow(), world.clock, world.ids, world.policy, world.maps)
    assert again.reused and again.quote.id == first.quote.id
    world.clock.advance(timedelta(minutes=15))
    later = request_quote(ask(world), world.uow(), world.clock, world.ids, world.policy, world.maps)
    assert not later.reused and later.quote.id != first.quote.id


def test_another_customer_with_the_same_intent_gets_their_own_quote(world: World) -> None:
    world.add_vendors(make_vendor(1))
    first = request_quote(ask(world), world.uow(), world.clock, world.ids, world.policy, world.maps)
    other = request_quote(
        ask(world, customer_id="c2"), world.uow(), world.clock, world.ids, world.policy, world.maps
    )
    assert other.quote.id != first.quote.id


def test_no_free_vendor_is_a_clear_refusal(world: World) -> None:
    with pytest.raises(NoProvidersAvailable):
        request_quote(ask(world), world.uow(), world.clock, world.ids, world.policy, world.maps)


def test_a_time_in_the_past_or_a_silly_radius_is_refused(world: World) -> None:
    world.add_vendors(make_vendor(1))
    with pytest.raises(TimeInPast):
        request_quote(
            ask(world, minutes_ahead=-5),
            world.uow(),
            world.clock,
            world.ids,
            world.policy,
            world.maps,
        )
    with pytest.raises(InvalidInput):
        request_quote(
            ask(world, radius_km=0.0), world.uow(), world.clock, world.ids, world.policy, world.maps
        )
    with pytest.raises(InvalidInput):
        request_quote(
            ask(world, service_type="drop table;"),
            world.uow(),
            world.clock,
            world.ids,
            world.policy,
        )


def test_a_live_quote_is_not_reused_once_one_of_its_candidates_was_booked(world: World) -> None:
    from bookiji_core import Principal, Role
    from bookiji_core.usecases import ConfirmBooking, confirm_booking

    world.add_vendors(make_vendor(1), make_vendor(2))
    first = request_quote(
        ask(world), world.uow(), world.clock, world.ids, world.policy, world.maps
    ).quote
    cmd = ConfirmBooking(Principal(Role.CUSTOMER, CUSTOMER), first.id, "v1", "pm_card_visa", "k")
    confirm_booking(cmd, world.uow(), world.clock, world.ids)
    again = request_quote(ask(world), world.uow(), world.clock, world.ids, world.policy, world.maps)
    assert not again.reused
    assert [c.vendor_id for c in again.quote.candidates] == ["v2"]


class _NamedAreas:
    """A map provider that names an area by the point's latitude and counts its lookups."""

    def __init__(self) -> None:
        self.lookups = 0

    def zone_for(self, location: Location, label: str = "") -> str:
        self.lookups += 1
        return f"Area {location.latitude:.2f}"


def test_a_candidate_is_shown_in_the_map_providers_zone_not_the_catalogue_label(
    world: World,
) -> None:
    world.add_vendors(make_vendor(1), make_vendor(2))
    maps = _NamedAreas()

    quote = request_quote(ask(world), world.uow(), world.clock, world.ids, world.policy, maps).quote

    assert {c.vendor_id: c.zone for c in quote.candidates} == {
        "v1": "Area 49.29",
        "v2": "Area 49.30",
    }
    with world.uow() as uow:  # the stored quote keeps the zones it showed
        assert uow.quotes.get(quote.id).candidates == quote.candidates  # type: ignore[union-attr]


def test_only_the_candidates_kept_are_looked_up_and_a_reused_quote_asks_nothing(
    world: World,
) -> None:
    world.add_vendors(*(make_vendor(n) for n in range(1, 9)))
    maps = _NamedAreas()

    request_quote(ask(world), world.uow(), world.clock, world.ids, world.policy, maps)
    again = request_quote(ask(world), world.uow(), world.clock, world.ids, world.policy, maps)

    assert again.reused
    assert maps.lookups == world.policy.max_candidates


class _AsksWhileOthersWrite:
    """A map provider that checks, from another thread, that the storage is free meanwhile."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.storage_was_free: list[bool] = []

    def zone_for(self, location: Location, label: str = "") -> str:
        def try_lock() -> None:
            lock = self.world.storage.lock
            got = lock.acquire(timeout=1)
            self.storage_was_free.append(got)
            if got:
                lock.release()

        other = threading.Thread(target=try_lock)
        other.start()
        other.join()
        return "Somewhere"


def test_the_map_provider_is_asked_with_no_transaction_open(world: World) -> None:
    world.add_vendors(make_vendor(1), make_vendor(2))
    maps = _AsksWhileOthersWrite(world)

    request_quote(ask(world), world.uow(), world.clock, world.ids, world.policy, maps)

    assert maps.storage_was_free == [True, True]
