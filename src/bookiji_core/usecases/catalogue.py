"""A vendor's own catalogue: read it, change it (never stranding a booking), see availability."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import attrs

from bookiji_core.access import AccessLogEntry, Principal, Role
from bookiji_core.availability import free_windows
from bookiji_core.catalogue import ServiceOffer, Vendor, VendorCatalogue
from bookiji_core.errors import (
    CatalogueChangeStrandsBooking,
    Forbidden,
    InvalidInput,
    NotFound,
)
from bookiji_core.ports import Clock, UnitOfWork
from bookiji_core.principals import AdminAction, PrincipalAction
from bookiji_core.schedule import WEEKDAYS, DayException, Hours, VendorSchedule
from bookiji_core.values import Interval, Location, VendorId

MAX_AVAILABILITY_DAYS = 62
MAX_ZONE_LENGTH = 100


@attrs.frozen
class CatalogueView:
    """What the vendor (or an admin) sees: the profile with its exact location, and rules."""

    vendor: Vendor
    catalogue: VendorCatalogue


@attrs.frozen
class Availability:
    within: Interval
    open: tuple[Interval, ...]
    free: tuple[Interval, ...]


def _authorise(caller: Principal, vendor_id: str) -> VendorId:
    caller.require(Role.VENDOR, Role.ADMIN)
    if caller.role is Role.VENDOR and caller.subject_id != vendor_id:
        raise Forbidden("a vendor manages only its own catalogue")
    return VendorId(vendor_id)


def _load(uow: UnitOfWork, vendor_id: VendorId) -> tuple[Vendor, VendorCatalogue]:
    vendor = uow.vendors.get(vendor_id)
    if vendor is None or uow.privacy.tombstone(vendor_id) is not None:
        raise NotFound(f"no vendor {vendor_id}")
    catalogue = uow.catalogues.get(vendor_id) or VendorCatalogue.of(vendor)
    return vendor, catalogue


def show_catalogue(
    vendor_id: str, caller: Principal, uow: UnitOfWork, clock: Clock
) -> CatalogueView:
    vid = _authorise(caller, vendor_id)
    with uow:
        vendor, catalogue = _load(uow, vid)
        if caller.subject_id != vid:  # an admin reading a vendor's exact location
            entry = AccessLogEntry(vid, caller.subject_id, "catalogue", "vendor", clock.now())
            uow.access_log.append(entry)
            uow.commit()
    return CatalogueView(vendor, catalogue)


def _check_strands(
    uow: UnitOfWork, before: VendorCatalogue, after: VendorCatalogue, now: datetime
) -> None:
    commitments = uow.catalogues.commitments(after.vendor_id, now)
    if not commitments:
        return
    span = Interval(
        min(c.interval.start for c in commitments), max(c.interval.end for c in commitments)
    )
    fixed = uow.vendors.windows([after.vendor_id], span).get(after.vendor_id, ())
    # Only what this change strands: a booking already outside the rules stays as it was.
    already = {c.booking_id for c in before.stranded(commitments, fixed)}
    stranded = [c for c in after.stranded(commitments, fixed) if c.booking_id not in already]
    if stranded:
        ids = tuple(c.booking_id for c in stranded)
        raise CatalogueChangeStrandsBooking(
            f"the change would strand {len(ids)} held or confirmed booking(s): "
            f"{', '.join(ids)}; cancel or finish them first",
            ids,
        )


def _audit(uow: UnitOfWork, caller: Principal, vid: VendorId, what: str, now: datetime) -> None:
    # Who changed which vendor's catalogue, and what: in the admin audit (append-only).
    entry = PrincipalAction(now, caller.subject_id, AdminAction.CATALOGUE, vid, Role.VENDOR, what)
    uow.principals.record(entry)


def change_catalogue(
    vendor_id: str,
    caller: Principal,
    uow: UnitOfWork,
    clock: Clock,
    change: Callable[[VendorCatalogue], VendorCatalogue],
    what: str = "catalogue changed",
) -> CatalogueView:
    """Apply `change` to the catalogue in one transaction, refusing one that strands a
    booking, and audit it (`what` says what changed). The vendor's service list follows the
    offers, so quotes find it at once."""
    vid = _authorise(caller, vendor_id)
    now = clock.now()
    with uow:
        vendor, before = _load(uow, vid)
        after = change(before)
        _check_strands(uow, before, after, now)
        uow.catalogues.save(after)
        if vendor.services != after.service_types:
            vendor = attrs.evolve(vendor, services=after.service_types)
            uow.vendors.add(vendor)
        _audit(uow, caller, vid, what, now)
        uow.commit()
    return CatalogueView(vendor, after)


def put_service(
    vendor_id: str, offer: ServiceOffer, caller: Principal, uow: UnitOfWork, clock: Clock
) -> CatalogueView:
    what = f"service {offer.service_type} offered"
    return change_catalogue(vendor_id, caller, uow, clock, lambda c: c.with_offer(offer), what)


def remove_service(
    vendor_id: str, service_type: str, caller: Principal, uow: UnitOfWork, clock: Clock
) -> CatalogueView:
    what = f"service {service_type} removed"
    return change_catalogue(
        vendor_id, caller, uow, clock, lambda c: c.without_offer(service_type), what
    )


def set_weekly_hours(
    vendor_id: str,
    time_zone: str,
    weekly: tuple[tuple[Hours, ...], ...],
    caller: Principal,
    uow: UnitOfWork,
    clock: Clock,
) -> CatalogueView:
    def change(c: VendorCatalogue) -> VendorCatalogue:
        schedule = VendorSchedule(time_zone, weekly, c.schedule.exceptions)
        return c.with_schedule(schedule)

    return change_catalogue(vendor_id, caller, uow, clock, change, f"weekly hours ({time_zone})")


def set_exception(
    vendor_id: str, exception: DayException, caller: Principal, uow: UnitOfWork, clock: Clock
) -> CatalogueView:
    def change(c: VendorCatalogue) -> VendorCatalogue:
        kept = [e for e in c.schedule.exceptions if e.on != exception.on]
        exceptions = tuple(sorted([*kept, exception], key=lambda e: e.on))
        return c.with_schedule(attrs.evolve(c.schedule, exceptions=exceptions))

    what = f"exception on {exception.on.isoformat()}"
    return change_catalogue(vendor_id, caller, uow, clock, change, what)


def remove_exception(
    vendor_id: str, on: date, caller: Principal, uow: UnitOfWork, clock: Clock
) -> CatalogueView:
    def change(c: VendorCatalogue) -> VendorCatalogue:
        if c.schedule.exception(on) is None:
            raise NotFound(f"vendor {c.vendor_id} has no exception on {on.isoformat()}")
        kept = tuple(e for e in c.schedule.exceptions if e.on != on)
        return c.with_schedule(attrs.evolve(c.schedule, exceptions=kept))

    what = f"exception on {on.isoformat()} removed"
    return change_catalogue(vendor_id, caller, uow, clock, change, what)


def set_location(
    vendor_id: str,
    address: str,
    location: Location,
    zone: str,
    caller: Principal,
    uow: UnitOfWork,
    clock: Clock,
) -> Vendor:
    """The exact place (personal data, never shown to customers) and its public zone; the
    audit says the location changed and the zone, never the address."""
    vid = _authorise(caller, vendor_id)
    if not address.strip():
        raise InvalidInput("address", "address must not be empty")
    if not zone.strip() or len(zone) > MAX_ZONE_LENGTH:
        raise InvalidInput("zone", f"zone must be a public area name of 1 to {MAX_ZONE_LENGTH}")
    with uow:
        vendor, _catalogue = _load(uow, vid)
        vendor = attrs.evolve(vendor, address=address.strip(), location=location, zone=zone.strip())
        uow.vendors.add(vendor)
        _audit(uow, caller, vid, f"location set (zone {vendor.zone})", clock.now())
        uow.commit()
    return vendor


def set_rating(
    vendor_id: str, rating: float, caller: Principal, uow: UnitOfWork, clock: Clock
) -> Vendor:
    """The starting rating an admin gives a vetted vendor (admins only, audited): an invited
    vendor starts at 0 and quotes take only vendors rated at least QuotePolicy.min_rating."""
    caller.require(Role.ADMIN)
    vid = VendorId(vendor_id)
    with uow:
        vendor, _catalogue = _load(uow, vid)
        vendor = attrs.evolve(vendor, rating=rating)  # the validator refuses outside 0..5
        uow.vendors.add(vendor)
        _audit(uow, caller, vid, f"rating set to {rating:g}", clock.now())
        uow.commit()
    return vendor


def availability(
    vendor_id: str, within: Interval, caller: Principal, uow: UnitOfWork
) -> Availability:
    """Open and free windows over `within` (at most MAX_AVAILABILITY_DAYS), for any dates."""
    vid = _authorise(caller, vendor_id)
    if within.end - within.start > timedelta(days=MAX_AVAILABILITY_DAYS):
        raise InvalidInput("to", f"ask for at most {MAX_AVAILABILITY_DAYS} days at a time")
    with uow.read_only():
        _vendor, catalogue = _load(uow, vid)
        fixed = uow.vendors.windows([vid], within).get(vid, ())
        busy = uow.bookings.busy([vid], within).get(vid, ())
    opened = catalogue.schedule.open_windows(within, fixed)
    return Availability(within, tuple(opened), tuple(free_windows(opened, list(busy))))


def catalogue_record(c: VendorCatalogue) -> dict[str, Any]:
    """The rules as plain JSON (the API, bkctl --json and a vendor's privacy export)."""
    schedule = c.schedule
    return {
        "time_zone": schedule.time_zone,
        "weekly": {
            name: [str(h) for h in hours]
            for name, hours in zip(WEEKDAYS, schedule.weekly, strict=True)
        },
        "exceptions": [
            {"date": e.on.isoformat(), "closed": e.closed, "hours": [str(h) for h in e.hours]}
            for e in schedule.exceptions
        ],
        "services": [
            {
                "service_type": o.service_type,
                "hourly_rate": {"amount": o.hourly_rate.amount, "currency": o.hourly_rate.currency},
                "durations": list(o.durations),
            }
            for o in c.offers
        ],
    }
