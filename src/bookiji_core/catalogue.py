"""The vendor catalogue: who offers what, where, at what rate, and when they are free."""

from __future__ import annotations

import attrs

from bookiji_core.errors import InvalidInput
from bookiji_core.values import CustomerId, Location, Money, VendorId


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
