"""A small world for core tests: vendors near Vancouver, a manual clock, sequential ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from bookiji_adapters.maps import GridMapProvider
from bookiji_adapters.memory import InMemoryStorage, ManualClock, SequentialIds
from bookiji_core import CustomerId, Interval, Location, Money, QuotePolicy, Vendor, VendorId

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
HERE = Location(49.2827, -123.1207)


def make_vendor(n: int, **changes: object) -> Vendor:
    vendor = Vendor(
        id=VendorId(f"v{n}"),
        name=f"Vendor {n}",
        email=f"v{n}@example.test",
        phone="+1 604 555 0100",
        address=f"{n} Main St",
        location=Location(HERE.latitude + 0.01 * n, HERE.longitude),
        zone="Vancouver – Downtown",
        services=frozenset({"haircut"}),
        hourly_rate=Money("CAD", 4000 + 500 * n),
        rating=4.5,
        response_minutes=10 + n,
    )
    return attrs.evolve(vendor, **changes)


@attrs.define
class World:
    storage: InMemoryStorage
    clock: ManualClock
    ids: SequentialIds
    policy: QuotePolicy
    maps: GridMapProvider = attrs.field(factory=GridMapProvider)

    def uow(self):  # type: ignore[no-untyped-def]
        return self.storage.unit_of_work()

    def add_vendors(self, *vendors: Vendor) -> None:
        day = Interval(NOW.replace(hour=0), NOW.replace(hour=0) + timedelta(days=7))
        with self.uow() as uow:
            for vendor in vendors:
                uow.vendors.add(vendor)
                uow.vendors.add_window(vendor.id, day)
            uow.commit()


@pytest.fixture
def world() -> World:
    return World(InMemoryStorage(), ManualClock(NOW), SequentialIds(), QuotePolicy())


CUSTOMER = CustomerId("c1")
