"""The catalogue use cases: a vendor's own rules drive quotes at once, and never strand one."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bookiji_core import Interval, Location, Money, Principal, QuoteRequest, Role
from bookiji_core.catalogue import ServiceOffer
from bookiji_core.errors import (
    CatalogueChangeStrandsBooking,
    Forbidden,
    InvalidInput,
    NoProvidersAvailable,
    NotFound,
)
from bookiji_core.principals import AdminAction
from bookiji_core.schedule import CLOSED, DayException, Hours
from bookiji_core.usecases import request_quote
from bookiji_core.usecases.catalogue import (
    availability,
    put_service,
    remove_exception,
    remove_service,
    set_exception,
    set_location,
    set_rating,
    set_weekly_hours,
    show_catalogue,
)
from tests.unit.conftest import CUSTOMER, HERE, NOW, World, make_vendor
from tests.unit.test_confirm_booking import command, confirm

VANCOUVER = "America/Vancouver"
V1 = Principal(Role.VENDOR, "v1")
ADMIN = Principal(Role.ADMIN, "adm")
NINE_TO_FIVE = (tuple([Hours.parse("09:00-17:00")]),) * 7


def at(days: int, hour: int, minutes: int = 60) -> Interval:
    day = (NOW + timedelta(days=days)).date()
    start = datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(VANCOUVER))
    return Interval.starting(start, minutes)


def quote(world: World, interval: Interval, service: str = "haircut"):  # type: ignore[no-untyped-def]
    request = QuoteRequest(CUSTOMER, service, HERE, 10.0, interval)
    return request_quote(request, world.uow(), world.clock, world.ids, world.policy, world.maps)


@pytest.fixture
def vendor_with_hours(world: World) -> World:
    with world.uow() as uow:
        uow.vendors.add(make_vendor(1))  # no explicit windows at all
        uow.commit()
    set_weekly_hours("v1", VANCOUVER, NINE_TO_FIVE, V1, world.uow(), world.clock)
    return world


def test_weekly_hours_make_a_vendor_quotable_on_any_date_with_no_cliff(
    vendor_with_hours: World,
) -> None:
    for days in (1, 15, 200):
        result = quote(vendor_with_hours, at(days, 10))
        assert [c.vendor_id for c in result.quote.candidates] == ["v1"]
    with pytest.raises(NoProvidersAvailable):
        quote(vendor_with_hours, at(3, 18))


def test_a_quote_sees_a_new_service_rate_and_durations_at_once(vendor_with_hours: World) -> None:
    world = vendor_with_hours
    offer = ServiceOffer("massage", Money("CAD", 9000), (30, 90))
    put_service("v1", offer, V1, world.uow(), world.clock)

    priced = quote(world, at(2, 10, 90), "massage").quote

    assert priced.price == Money("CAD", 13500)
    with pytest.raises(NoProvidersAvailable):
        quote(world, at(2, 10, 60), "massage")  # 60 minutes is not an allowed duration


def test_a_closed_day_removes_a_vendor_from_that_days_quotes_only(vendor_with_hours: World) -> None:
    world = vendor_with_hours
    closed = (NOW + timedelta(days=4)).date()
    set_exception("v1", DayException(closed), V1, world.uow(), world.clock)

    with pytest.raises(NoProvidersAvailable):
        quote(world, at(4, 10))
    assert quote(world, at(5, 10)).quote.candidates

    remove_exception("v1", closed, V1, world.uow(), world.clock)
    assert quote(world, at(4, 10)).quote.candidates


def test_closing_the_hours_of_a_held_booking_is_refused_and_names_the_booking(
    vendor_with_hours: World,
) -> None:
    world = vendor_with_hours
    booking = confirm(world, command(quote(world, at(2, 15)).quote)).booking
    mornings = (tuple([Hours.parse("09:00-12:00")]),) * 7

    with pytest.raises(CatalogueChangeStrandsBooking) as refused:
        set_weekly_hours("v1", VANCOUVER, mornings, V1, world.uow(), world.clock)
    with pytest.raises(CatalogueChangeStrandsBooking):
        set_exception("v1", DayException(at(2, 15).start.date()), V1, world.uow(), world.clock)
    with pytest.raises(CatalogueChangeStrandsBooking):
        remove_service("v1", "haircut", V1, world.uow(), world.clock)

    assert refused.value.booking_ids == (booking.id,)
    assert show_catalogue("v1", V1, world.uow(), world.clock).catalogue.schedule.weekly == (
        NINE_TO_FIVE
    )


def test_hours_may_change_around_a_booking_they_still_cover(vendor_with_hours: World) -> None:
    world = vendor_with_hours
    confirm(world, command(quote(world, at(2, 10)).quote))
    mornings = (tuple([Hours.parse("09:00-12:00")]),) * 7

    view = set_weekly_hours("v1", VANCOUVER, mornings, V1, world.uow(), world.clock)

    assert view.catalogue.schedule.weekly == mornings


def test_removing_a_service_takes_the_vendor_out_of_its_quotes(vendor_with_hours: World) -> None:
    world = vendor_with_hours
    remove_service("v1", "haircut", V1, world.uow(), world.clock)

    with pytest.raises(NoProvidersAvailable):
        quote(world, at(2, 10))
    with world.uow() as uow:
        assert uow.vendors.get("v1").services == frozenset()  # type: ignore[arg-type,union-attr]


def test_a_vendor_edits_only_its_own_catalogue_and_an_admin_any(world: World) -> None:
    world.add_vendors(make_vendor(1), make_vendor(2))
    customer = Principal(Role.CUSTOMER, CUSTOMER)
    for caller in (Principal(Role.VENDOR, "v2"), customer):
        with pytest.raises(Forbidden):
            set_weekly_hours("v1", VANCOUVER, CLOSED, caller, world.uow(), world.clock)

    set_weekly_hours("v1", VANCOUVER, NINE_TO_FIVE, ADMIN, world.uow(), world.clock)

    with pytest.raises(NotFound):
        show_catalogue("v9", ADMIN, world.uow(), world.clock)
    with world.uow() as uow:
        assert [e.actor_id for e in uow.access_log.for_subject("v1")] == []
    show_catalogue("v1", ADMIN, world.uow(), world.clock)
    with world.uow() as uow:
        assert [e.purpose for e in uow.access_log.for_subject("v1")] == ["catalogue"]


def test_a_new_location_moves_the_vendor_in_distance_ranking(vendor_with_hours: World) -> None:
    world = vendor_with_hours
    far = Location(HERE.latitude + 1.0, HERE.longitude)  # about 111 km away
    vendor = set_location("v1", "1 Far Rd", far, "Far Away", V1, world.uow(), world.clock)

    assert vendor.zone == "Far Away"
    with pytest.raises(NoProvidersAvailable):
        quote(world, at(2, 10))


def test_availability_shows_open_and_free_windows_for_any_dates(vendor_with_hours: World) -> None:
    world = vendor_with_hours
    confirm(world, command(quote(world, at(2, 10)).quote))
    day = at(2, 0, 24 * 60)

    found = availability("v1", day, V1, world.uow())

    assert found.open == (Interval(at(2, 9).start, at(2, 17).start),)
    assert [w.minutes for w in found.free] == [60, 6 * 60]


def test_every_catalogue_change_is_in_the_admin_audit_with_who_and_what(
    vendor_with_hours: World,
) -> None:
    world = vendor_with_hours
    put_service(
        "v1", ServiceOffer("massage", Money("CAD", 9000), (60,)), ADMIN, world.uow(), world.clock
    )
    set_location("v1", "9 Secret Lane", HERE, "Vancouver – Kitsilano", V1, world.uow(), world.clock)

    with world.uow() as uow:
        audit = [(a.actor_id, a.action, a.reason) for a in uow.principals.actions("v1")]
    assert audit == [
        ("v1", AdminAction.CATALOGUE, "weekly hours (America/Vancouver)"),
        ("adm", AdminAction.CATALOGUE, "service massage offered"),
        ("v1", AdminAction.CATALOGUE, "location set (zone Vancouver – Kitsilano)"),
    ]
    assert all("Secret" not in reason for _, _, reason in audit)  # never the address


def test_a_refused_catalogue_change_leaves_no_audit(vendor_with_hours: World) -> None:
    world = vendor_with_hours
    with pytest.raises(NotFound):
        remove_exception("v1", NOW.date(), V1, world.uow(), world.clock)

    with world.uow() as uow:
        assert len(uow.principals.actions("v1")) == 1  # the weekly hours only


def test_an_admin_rates_a_vetted_vendor_and_the_next_quote_sees_it(world: World) -> None:
    with world.uow() as uow:
        uow.vendors.add(make_vendor(1, rating=0.0))  # as an invitation leaves it
        uow.commit()
    set_weekly_hours("v1", VANCOUVER, NINE_TO_FIVE, ADMIN, world.uow(), world.clock)
    with pytest.raises(NoProvidersAvailable):
        quote(world, at(1, 10))

    with pytest.raises(Forbidden):
        set_rating("v1", 5.0, V1, world.uow(), world.clock)  # not the vendor's own
    with pytest.raises(InvalidInput):
        set_rating("v1", 7.0, ADMIN, world.uow(), world.clock)
    set_rating("v1", 4.6, ADMIN, world.uow(), world.clock)

    assert [c.vendor_id for c in quote(world, at(1, 10)).quote.candidates] == ["v1"]
    with world.uow() as uow:
        assert uow.principals.actions("v1")[-1].reason == "rating set to 4.6"
