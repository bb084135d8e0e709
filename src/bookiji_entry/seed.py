"""The demo pilot: Vancouver vendors, 20 customers, one admin, and a bearer token per principal.

Vendors, customers and tokens are written through the storage port; each vendor's services
and weekly hours go through the catalogue use cases, as a vendor's own would. Names, emails,
phone numbers (555-01xx) and street numbers are made up; neighbourhood coordinates are real.
"""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs

from bookiji_core.access import Principal, Role
from bookiji_core.catalogue import Customer, ServiceOffer, Vendor
from bookiji_core.ports import UnitOfWork
from bookiji_core.principals import Invitation
from bookiji_core.schedule import Hours
from bookiji_core.usecases.catalogue import put_service, set_weekly_hours
from bookiji_core.usecases.principals import TokenPolicy, enrol
from bookiji_core.values import CustomerId, Location, Money, VendorId

CITY = ZoneInfo("America/Vancouver")
EVERY_DAY = frozenset(range(7))
MON_SAT = frozenset(range(6))
MON_FRI = frozenset(range(5))
ADMIN_ID = "adm_ops"
ADMIN_NAME = "Bookiji operations"
ADMIN_EMAIL = "ops@example.com"
SEED_ACTOR = "seed:demo"
DEFAULT_TOKEN_TTL = timedelta(days=90)
# Customers who get a token; the others exist for the catalogue and for SimCity traffic.
TOKEN_CUSTOMERS = ("cus_01", "cus_02")


@attrs.frozen
class DemoVendor:
    vendor: Vendor
    days: frozenset[int]  # 0 = Monday
    opens: time
    closes: time


def _vendor(
    vid: str,
    name: str,
    street: str,
    neighbourhood: str,
    lat: float,
    lon: float,
    services: set[str],
    rate_cents: int,
    rating: float,
    response_minutes: int,
    phone_suffix: int,
) -> Vendor:
    return Vendor(
        id=VendorId(vid),
        name=name,
        email=f"{vid.removeprefix('ven_').replace('_', '.')}@example.com",
        phone=f"+1-604-555-01{phone_suffix:02d}",
        address=f"{street}, Vancouver, BC",
        location=Location(lat, lon),
        zone=f"Vancouver – {neighbourhood}",
        services=frozenset(services),
        hourly_rate=Money("CAD", rate_cents),
        rating=rating,
        response_minutes=response_minutes,
    )


def _schedule(vendor: Vendor, days: frozenset[int], opens: int, closes: int) -> DemoVendor:
    return DemoVendor(vendor, days, time(opens), time(closes))


# fmt: off
DEMO_VENDORS: tuple[DemoVendor, ...] = (
    _schedule(_vendor("ven_kits_barber", "Kitsilano Barber Co.", "2150 W 4th Ave", "Kitsilano",
                      49.2684, -123.1587, {"haircut"}, 4500, 4.7, 10, 1), EVERY_DAY, 9, 19),
    _schedule(_vendor("ven_gastown_cuts", "Gastown Cuts", "12 Water St", "Gastown",
                      49.2840, -123.1089, {"haircut"}, 5500, 4.5, 20, 2), MON_SAT, 10, 20),
    _schedule(_vendor("ven_main_st_salon", "Main Street Salon", "2410 Main St", "Mount Pleasant",
                      49.2636, -123.1006, {"haircut", "beard_trim"}, 4000, 4.2, 30, 3),
              EVERY_DAY, 9, 17),
    _schedule(_vendor("ven_west_end_shears", "West End Shears", "1090 Denman St", "West End",
                      49.2856, -123.1380, {"haircut"}, 3000, 3.8, 5, 4), EVERY_DAY, 8, 20),
    _schedule(_vendor("ven_yaletown_massage", "Yaletown Massage Studio", "1180 Mainland St",
                      "Yaletown", 49.2755, -123.1216, {"massage"}, 9500, 4.9, 15, 5),
              MON_SAT, 10, 21),
    _schedule(_vendor("ven_drive_wellness", "Commercial Drive Wellness", "1650 Commercial Dr",
                      "Grandview-Woodland", 49.2700, -123.0694, {"massage", "personal_training"},
                      8000, 4.0, 45, 6), EVERY_DAY, 7, 19),
    _schedule(_vendor("ven_fairview_clean", "Fairview Home Cleaning", "890 W Broadway",
                      "Fairview", 49.2633, -123.1230, {"house_cleaning"}, 3800, 4.4, 60, 7),
              MON_FRI, 8, 18),
    _schedule(_vendor("ven_east_van_sparkle", "East Van Sparkle", "3340 Victoria Dr",
                      "Kensington-Cedar Cottage", 49.2530, -123.0660, {"house_cleaning"},
                      4200, 4.6, 35, 8), MON_SAT, 9, 17),
    _schedule(_vendor("ven_downtown_fit", "Downtown Fit Lab", "700 W Pender St", "Downtown",
                      49.2849, -123.1160, {"personal_training"}, 7000, 3.9, 25, 9),
              EVERY_DAY, 6, 22),
)
# fmt: on

_CUSTOMER_NAMES = (
    "Avery Chen", "Jordan Singh", "Maya Tremblay", "Liam Nguyen", "Olivia Roy",
    "Noah Gill", "Emma Wong", "Ethan Martin", "Sophia Dhillon", "Lucas Gagnon",
    "Chloe Kim", "Benjamin Lee", "Zoe Bouchard", "Samuel Park", "Isla Thompson",
    "Henry Sandhu", "Amelia Côté", "Jack Fraser", "Nora Ahmed", "Leo Campbell",
)  # fmt: skip

DEMO_CUSTOMERS: tuple[Customer, ...] = tuple(
    Customer(
        id=CustomerId(f"cus_{n:02d}"),
        name=name,
        email=f"customer{n:02d}@example.com",
        phone=f"+1-604-555-02{n:02d}",
    )
    for n, name in enumerate(_CUSTOMER_NAMES, start=1)
)


@attrs.frozen
class IssuedToken:
    role: Role
    subject_id: str
    name: str
    token: str


class AlreadySeeded(Exception):
    """The demo data is already in this database."""


def is_seeded(uow: UnitOfWork) -> bool:
    with uow:
        return _has_demo(uow)


def _has_demo(uow: UnitOfWork) -> bool:
    return uow.vendors.get(DEMO_VENDORS[0].vendor.id) is not None


def fixed_token(subject_id: str) -> str:
    """The public demo token of a principal: for local demos and tests only."""
    return f"demo-{subject_id}"


def _random_token(_subject_id: str) -> str:
    return f"bkj_{secrets.token_urlsafe(32)}"


def weekly_hours(demo: DemoVendor) -> tuple[tuple[Hours, ...], ...]:
    """The vendor's opening hours as weekly rules, in Vancouver time (0 = Monday)."""
    hours = Hours(demo.opens.hour * 60, demo.closes.hour * 60)
    return tuple((hours,) if day in demo.days else () for day in range(7))


@attrs.frozen
class _At:
    """The seed's one instant, as the clock the catalogue use cases ask."""

    instant: datetime

    def now(self) -> datetime:
        return self.instant


def _catalogue(uow: UnitOfWork, demo: DemoVendor, admin: Principal, clock: _At) -> None:
    """Services and hours through the same use cases a vendor or an admin calls."""
    vendor = demo.vendor
    for service in sorted(vendor.services):
        offer = ServiceOffer(service, vendor.hourly_rate)  # any duration
        put_service(vendor.id, offer, admin, uow, clock)
    set_weekly_hours(vendor.id, CITY.key, weekly_hours(demo), admin, uow, clock)


def seed_demo(
    uow: UnitOfWork, now: datetime, *, fixed_tokens: bool, policy: TokenPolicy | None = None
) -> list[IssuedToken]:
    """Add the pilot's vendors, customers and principals in one transaction (the people
    through the same operation as an invitation), then each vendor's services and weekly
    hours through the catalogue use cases (so availability has no horizon); returns the
    tokens issued.

    Raises AlreadySeeded if the demo vendors exist. With `fixed_tokens` the tokens are the
    public `demo-<subject id>` ones; otherwise random, shown only in the returned list.
    """
    make_token = fixed_token if fixed_tokens else _random_token
    policy = policy or TokenPolicy(DEFAULT_TOKEN_TTL, "CAD")
    people = [(ADMIN_ID, Invitation(Role.ADMIN, ADMIN_NAME, ADMIN_EMAIL))]
    people += [
        (c.id, _invitation(Role.CUSTOMER, c)) for c in DEMO_CUSTOMERS if c.id in TOKEN_CUSTOMERS
    ]
    people += [(d.vendor.id, _invitation(Role.VENDOR, d.vendor)) for d in DEMO_VENDORS]
    issued: list[IssuedToken] = []
    with uow:
        if _has_demo(uow):
            raise AlreadySeeded("the demo data is already in this database")
        # The same operation as `bkctl principals invite`: the person, the token, the audit.
        for subject_id, person in people:
            token = make_token(subject_id)
            enrol(
                uow,
                person,
                subject_id=subject_id,
                token=token,
                policy=policy,
                actor_id=SEED_ACTOR,
                now=now,
            )
            issued.append(IssuedToken(person.role, subject_id, person.name, token))
        # The demo profiles (place, rating, rate) over the invitation's blank ones.
        for demo in DEMO_VENDORS:
            uow.vendors.add(demo.vendor)
        for customer in DEMO_CUSTOMERS:
            uow.customers.add(customer)
        uow.commit()
    admin, clock = Principal(Role.ADMIN, ADMIN_ID), _At(now)
    for demo in DEMO_VENDORS:
        _catalogue(uow, demo, admin, clock)
    return issued


def _invitation(role: Role, person: Customer | Vendor) -> Invitation:
    return Invitation(role, person.name, person.email, person.phone)
