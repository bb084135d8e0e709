"""SimCity's synthetic population: vendors and customers tagged `synthetic`, in a town of its own.

SimCity lies in the open Pacific and its vendors offer `sim-*` services only, so synthetic
customers can only ever find synthetic vendors and real customers never meet them. Every
record is written through the storage port with the core's own entities.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, time, timedelta

import attrs

from bookiji_core.access import Principal, Role, hash_token
from bookiji_core.catalogue import Customer, Vendor
from bookiji_core.ports import UnitOfWork
from bookiji_core.values import CustomerId, Interval, Location, Money, VendorId

CENTRE = Location(10.0, -140.0)
SERVICES = ("sim-haircut", "sim-massage", "sim-cleaning")
ZONES = ("SimCity – Harbour", "SimCity – Old Town", "SimCity – Hills", "SimCity – Market")
OPENS, CLOSES = time(8), time(20)
VENDOR_PREFIX, CUSTOMER_PREFIX = "ven_sim_", "cus_sim_"


class Temper(enum.StrEnum):
    """How a vendor answers a booking: at once, after the deadline, or never."""

    FAST = "fast"
    SLOW = "slow"
    NEVER = "never"


@attrs.frozen
class Mix:
    """Shares of each temper among the vendors (the rest are fast)."""

    slow: float = 0.15
    never: float = 0.05

    def draw(self, rng: random.Random) -> Temper:
        roll = rng.random()
        if roll < self.never:
            return Temper.NEVER
        return Temper.SLOW if roll < self.never + self.slow else Temper.FAST


def vendor_id(n: int) -> VendorId:
    return VendorId(f"{VENDOR_PREFIX}{n:04d}")


def customer_id(n: int) -> CustomerId:
    return CustomerId(f"{CUSTOMER_PREFIX}{n:04d}")


def near(rng: random.Random, centre: Location, km: float) -> Location:
    """A point within about `km` of `centre` (a degree of latitude is about 111 km)."""
    return Location(
        round(centre.latitude + rng.uniform(-km, km) / 111.0, 5),
        round(centre.longitude + rng.uniform(-km, km) / 111.0, 5),
    )


def make_vendor(n: int, rng: random.Random, currency: str, services: Iterable[str]) -> Vendor:
    return Vendor(
        id=vendor_id(n),
        name=f"SimCity Vendor {n}",
        email=f"vendor{n}@simcity.invalid",
        phone=f"+1-555-010-{n % 10000:04d}",
        address=f"{n} Synthetic Street, SimCity",
        location=near(rng, CENTRE, 4.0),
        zone=ZONES[n % len(ZONES)],
        services=frozenset(services),
        hourly_rate=Money(currency, 500 * rng.randint(6, 16)),
        rating=round(rng.uniform(4.0, 5.0), 1),
        response_minutes=rng.randint(2, 60),
        synthetic=True,
    )


def make_customer(n: int) -> Customer:
    return Customer(
        id=customer_id(n),
        name=f"SimCity Customer {n}",
        email=f"customer{n}@simcity.invalid",
        phone=f"+1-555-020-{n % 10000:04d}",
        synthetic=True,
    )


def daily_windows(first: datetime, days: int) -> Iterator[Interval]:
    day = first.astimezone(UTC).date()
    for offset in range(days):
        current = day + timedelta(days=offset)
        yield Interval(
            datetime.combine(current, OPENS, UTC), datetime.combine(current, CLOSES, UTC)
        )


@attrs.frozen
class Population:
    vendors: tuple[Vendor, ...]
    customers: tuple[Customer, ...]
    tempers: dict[VendorId, Temper]


def generate(
    rng: random.Random,
    *,
    vendors: int,
    customers: int,
    currency: str,
    mix: Mix | None = None,
    services: tuple[str, ...] = SERVICES,
) -> Population:
    mix = mix or Mix()
    made = []
    for n in range(1, vendors + 1):
        offered = {services[n % len(services)], rng.choice(services)}
        made.append(make_vendor(n, rng, currency, offered))
    tempers = {v.id: mix.draw(rng) for v in made}
    return Population(
        tuple(made), tuple(make_customer(n) for n in range(1, customers + 1)), tempers
    )


def settle_in(uow: UnitOfWork, population: Population, first_day: datetime, days: int) -> int:
    """Add the vendors and customers that are not there yet, with `days` of opening hours.
    Returns how many records it added."""
    added = 0
    with uow:
        for v in population.vendors:
            if uow.vendors.get(v.id) is None:
                uow.vendors.add(v)
                for window in daily_windows(first_day, days):
                    uow.vendors.add_window(v.id, window)
                added += 1
        for c in population.customers:
            if uow.customers.get(c.id) is None:
                uow.customers.add(c)
                added += 1
        uow.commit()
    return added


def issue_tokens(
    uow: UnitOfWork, customers: Iterable[Customer], make: Callable[[str], str]
) -> dict[str, str]:
    """A fresh bearer token per customer (stored hashed, returned only now) for load mode."""
    issued: dict[str, str] = {}
    with uow:
        for c in customers:
            token = make(c.id)
            uow.principals.add(hash_token(token), Principal(Role.CUSTOMER, c.id))
            issued[c.id] = token
        uow.commit()
    return issued
