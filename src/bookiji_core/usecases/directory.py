"""The public vendor directory (behind `beta.public_directory`): vendors by zone with their
services, rating and response time. Never a name, contact, address or exact position: only
what a quote shows anyone, and the zone, which is public."""

from __future__ import annotations

from collections import defaultdict

import attrs

from bookiji_core.flags import PUBLIC_DIRECTORY
from bookiji_core.ports import UnitOfWork
from bookiji_core.usecases.flags import flag_state
from bookiji_core.values import VendorId

MAX_VENDORS = 10_000


@attrs.frozen
class Listing:
    provider_id: VendorId
    services: tuple[str, ...]
    rating: float
    response_minutes: int


@attrs.frozen
class Zone:
    zone: str
    vendors: tuple[Listing, ...]


def public_directory(uow: UnitOfWork) -> list[Zone] | None:
    """The directory by zone (zones and vendors in order), or None while the flag is off.
    SimCity's synthetic vendors and deleted ones (they offer nothing) are not listed."""
    with uow.read_only():
        if not flag_state(uow, PUBLIC_DIRECTORY).on:
            return None
        found = [v for v in uow.vendors.listed(MAX_VENDORS) if not v.synthetic]
    by_zone: dict[str, list[Listing]] = defaultdict(list)
    for v in found:
        listing = Listing(v.id, tuple(sorted(v.services)), v.rating, v.response_minutes)
        by_zone[v.zone].append(listing)
    return [Zone(zone, tuple(listings)) for zone, listings in sorted(by_zone.items())]
