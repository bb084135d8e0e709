"""The Catalogues port's contract over memory, SQLite and PostgreSQL: the aggregate comes back
whole, a save replaces it, and commitments are the vendor's active bookings with services."""

from __future__ import annotations

from datetime import date, timedelta

from bookiji_core import BookingState, Money, VendorId
from bookiji_core.catalogue import Commitment, ServiceOffer, VendorCatalogue
from bookiji_core.schedule import CLOSED, DayException, Hours, VendorSchedule
from tests.conftest import Storage
from tests.contract.test_storage_contract import make_booking, make_quote, read, slot, write
from tests.unit.conftest import NOW, make_vendor

WEEKLY = (
    (Hours.parse("09:00-12:00"), Hours.parse("13:00-17:00")),
    *CLOSED[1:6],
    (Hours.parse("10:00-24:00"),),
)
FULL = VendorCatalogue(
    VendorId("v1"),
    VendorSchedule(
        "America/Vancouver",
        WEEKLY,
        (
            DayException(date(2030, 1, 14)),
            DayException(
                date(2030, 1, 15), (Hours.parse("08:00-09:00"), Hours.parse("18:00-20:00"))
            ),
        ),
    ),
    (
        ServiceOffer("beard_trim", Money("CAD", 2500), (15, 30)),
        ServiceOffer("haircut", Money("CAD", 4500)),
    ),
)


def test_a_saved_catalogue_comes_back_whole_and_alone(storage: Storage) -> None:
    def add(uow):  # type: ignore[no-untyped-def]
        uow.vendors.add(make_vendor(1))
        uow.vendors.add(make_vendor(2))
        uow.catalogues.save(FULL)

    write(storage, add)

    assert read(storage, lambda uow: uow.catalogues.get(VendorId("v1"))) == FULL
    assert read(storage, lambda uow: uow.catalogues.get(VendorId("v2"))) is None
    found = read(storage, lambda uow: uow.catalogues.for_vendors([VendorId("v1"), VendorId("v2")]))
    assert found == {"v1": FULL}
    assert read(storage, lambda uow: uow.catalogues.for_vendors([])) == {}


def test_saving_a_catalogue_again_replaces_its_hours_and_offers(storage: Storage) -> None:
    smaller = VendorCatalogue(VendorId("v1"), VendorSchedule("Europe/Paris"), FULL.offers[1:])

    def add(uow):  # type: ignore[no-untyped-def]
        uow.vendors.add(make_vendor(1))
        uow.catalogues.save(FULL)

    write(storage, add)
    write(storage, lambda uow: uow.catalogues.save(smaller))

    assert read(storage, lambda uow: uow.catalogues.get(VendorId("v1"))) == smaller


def test_a_catalogue_saved_in_a_rolled_back_transaction_is_not_kept(storage: Storage) -> None:
    write(storage, lambda uow: uow.vendors.add(make_vendor(1)))
    with storage.unit_of_work() as uow:
        uow.catalogues.save(FULL)  # no commit

    assert read(storage, lambda uow: uow.catalogues.get(VendorId("v1"))) is None


def test_commitments_are_the_active_bookings_ending_later_with_their_service(
    storage: Storage,
) -> None:
    def add(uow):  # type: ignore[no-untyped-def]
        uow.vendors.add(make_vendor(1))
        uow.quotes.add(make_quote(1))
        uow.bookings.add(make_booking(1, at=slot(14)))  # quoted for a haircut
        uow.bookings.add(make_booking(2, at=slot(10)))  # its quote is not stored
        uow.bookings.add(make_booking(3, at=slot(9, day=0)))  # ended before `after`
        uow.bookings.add(make_booking(4, at=slot(16), state=BookingState.CANCELLED))
        uow.bookings.add(make_booking(5, vendor="v2", at=slot(12)))

    write(storage, add)
    after = NOW + timedelta(hours=6)

    found = read(storage, lambda uow: uow.catalogues.commitments(VendorId("v1"), after))

    assert found == [
        Commitment("bk_2", slot(10), None),
        Commitment("bk_1", slot(14), "haircut"),
    ]
