"""The vendor catalogue: who offers what, where, at what rate, and when they are free."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from bookiji_core.errors import InvalidInput, NotFound
from bookiji_core.schedule import VendorSchedule
from bookiji_core.values import CustomerId, Interval, Location, Money, VendorId, is_slug


def _rating(_inst: object, _attr: object, value: float) -> None:
    if not 0.0 <= value <= 5.0:
        raise InvalidInput("rating", "rating must be between 0 and 5")


def _non_negative(_inst: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 0:
        raise InvalidInput(attribute.name, f"{attribute.name} must not be negative")


@attrs.frozen
class Vendor:
    """A provider. Name, contact, address and exact location are personal data; zone is not."""

    id: VendorId
    name: str
    email: str
    phone: str
    address: str
    location: Location
    zone: str
    services: frozenset[str]
    hourly_rate: Money
    rating: float = attrs.field(validator=_rating)
    response_minutes: int = attrs.field(validator=_non_negative)
    synthetic: bool = False

    def offers(self, service_type: str) -> bool:
        return service_type in self.services


@attrs.frozen
class Customer:
    """A person who books. Name, email and phone are personal data."""

    id: CustomerId
    name: str
    email: str
    phone: str
    synthetic: bool = False


def _durations(_inst: object, _attr: object, value: tuple[int, ...]) -> None:
    if any(d <= 0 for d in value) or len(set(value)) != len(value):
        raise InvalidInput("durations", "durations must be distinct positive minutes")


def _sorted(durations: Iterable[int]) -> tuple[int, ...]:
    return tuple(sorted(durations))


def _rate(_inst: object, _attr: object, value: Money) -> None:
    if value.amount <= 0:
        raise InvalidInput("hourly_rate", "hourly_rate must be a positive amount of minor units")


def _slug(_inst: object, _attr: object, value: str) -> None:
    if not is_slug(value):
        raise InvalidInput("service_type", "service_type must be a short slug such as 'haircut'")


@attrs.frozen
class ServiceOffer:
    """One service a vendor sells: its hourly rate and the durations a customer may book."""

    service_type: str = attrs.field(validator=_slug)
    hourly_rate: Money = attrs.field(validator=_rate)
    # No durations: any length the quote policy accepts (services from before the catalogue).
    durations: tuple[int, ...] = attrs.field(default=(), converter=_sorted, validator=_durations)

    def allows(self, minutes: int) -> bool:
        return not self.durations or minutes in self.durations


@attrs.frozen
class Commitment:
    """A held or confirmed booking that a change of the catalogue must not strand."""

    booking_id: str
    interval: Interval
    service_type: str | None  # None when its quote is no longer stored


def _offers(_inst: object, _attr: object, value: tuple[ServiceOffer, ...]) -> None:
    types = [o.service_type for o in value]
    if types != sorted(set(types)):
        raise InvalidInput("services", "each service appears once, in order")


@attrs.frozen
class VendorCatalogue:
    """What a vendor sells and when: the aggregate a vendor (or an admin) edits."""

    vendor_id: VendorId
    schedule: VendorSchedule = attrs.field(factory=VendorSchedule)
    offers: tuple[ServiceOffer, ...] = attrs.field(default=(), validator=_offers)

    @classmethod
    def of(cls, vendor: Vendor) -> VendorCatalogue:
        """A vendor's catalogue before it was ever edited: its services at its one rate."""
        offers = tuple(ServiceOffer(s, vendor.hourly_rate) for s in sorted(vendor.services))
        return cls(vendor.id, offers=offers)

    @property
    def service_types(self) -> frozenset[str]:
        return frozenset(o.service_type for o in self.offers)

    def offer(self, service_type: str) -> ServiceOffer | None:
        return next((o for o in self.offers if o.service_type == service_type), None)

    def with_offer(self, offer: ServiceOffer) -> VendorCatalogue:
        kept = [o for o in self.offers if o.service_type != offer.service_type]
        return attrs.evolve(self, offers=tuple(sorted([*kept, offer], key=_by_type)))

    def without_offer(self, service_type: str) -> VendorCatalogue:
        if self.offer(service_type) is None:
            raise NotFound(f"vendor {self.vendor_id} does not offer {service_type}")
        kept = tuple(o for o in self.offers if o.service_type != service_type)
        return attrs.evolve(self, offers=kept)

    def with_schedule(self, schedule: VendorSchedule) -> VendorCatalogue:
        return attrs.evolve(self, schedule=schedule)

    def stranded(
        self, commitments: Iterable[Commitment], fixed: Iterable[Interval] = ()
    ) -> list[Commitment]:
        """The bookings this catalogue no longer covers: service gone or hours closed."""
        windows = list(fixed)
        return [
            c
            for c in commitments
            if (c.service_type is not None and self.offer(c.service_type) is None)
            or not self.schedule.is_open(c.interval, windows)
        ]


def _by_type(offer: ServiceOffer) -> str:
    return offer.service_type
