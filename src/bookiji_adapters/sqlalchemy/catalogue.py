"""The vendor catalogue and customers, as SQL rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, RowMapping, bindparam, delete, insert, select

from bookiji_adapters.sqlalchemy.base import SqlAlchemyRepository, upsert
from bookiji_adapters.sqlalchemy.id_lists import any_of
from bookiji_adapters.sqlalchemy.tables import customers, vendor_services, vendor_windows, vendors
from bookiji_core.catalogue import Customer, Vendor
from bookiji_core.values import Area, CustomerId, Interval, Location, Money, VendorId


def _vendor_row(vendor: Vendor) -> dict[str, Any]:
    return {
        "id": vendor.id,
        "name": vendor.name,
        "email": vendor.email,
        "phone": vendor.phone,
        "address": vendor.address,
        "latitude": vendor.location.latitude,
        "longitude": vendor.location.longitude,
        "zone": vendor.zone,
        "hourly_rate_amount": vendor.hourly_rate.amount,
        "currency": vendor.hourly_rate.currency,
        "rating": vendor.rating,
        "response_minutes": vendor.response_minutes,
        "synthetic": vendor.synthetic,
    }


# A vendor read back is a value: the same row (every column) and services give an equal,
# immutable Vendor, so the ones a quote ranks are built once and then looked up by that
# content (a changed row is another key; nothing here can be stale).
@lru_cache(maxsize=4096)
def _offered(row: Row[Any], services: frozenset[str]) -> Vendor:
    return _vendor(row._mapping, services)


def _vendor(row: RowMapping, services: Iterable[str]) -> Vendor:
    return Vendor(
        id=VendorId(row["id"]),
        name=row["name"],
        email=row["email"],
        phone=row["phone"],
        address=row["address"],
        location=Location(row["latitude"], row["longitude"]),
        zone=row["zone"],
        services=frozenset(services),
        hourly_rate=Money(row["currency"], row["hourly_rate_amount"]),
        rating=row["rating"],
        response_minutes=row["response_minutes"],
        synthetic=row["synthetic"],
    )


# Built once: every quote runs the first three, every confirm the last.
_OFFERING = (
    select(vendors)
    .join(vendor_services, vendor_services.c.vendor_id == vendors.c.id)
    .where(
        vendor_services.c.service_type == bindparam("service_type"),
        vendors.c.rating >= bindparam("min_rating"),
    )
    .order_by(vendors.c.id)
)
# The same, narrowed to a latitude/longitude box first (the circle is checked in Python).
_OFFERING_IN_BOX = _OFFERING.where(
    vendors.c.latitude.between(bindparam("south"), bindparam("north")),
    vendors.c.longitude.between(bindparam("west"), bindparam("east")),
)
_GET_VENDOR = select(vendors).where(vendors.c.id == bindparam("id"))
_SERVICES = select(vendor_services).where(any_of(vendor_services.c.vendor_id, "vendor_ids"))
_WINDOWS = (
    select(vendor_windows.c.vendor_id, vendor_windows.c.starts_at, vendor_windows.c.ends_at)
    .where(
        any_of(vendor_windows.c.vendor_id, "vendor_ids"),
        vendor_windows.c.starts_at < bindparam("end"),
        vendor_windows.c.ends_at > bindparam("start"),
    )
    .order_by(vendor_windows.c.vendor_id, vendor_windows.c.starts_at, vendor_windows.c.id)
)
_CUSTOMER = select(customers).where(customers.c.id == bindparam("id"))


class SqlAlchemyVendors(SqlAlchemyRepository):
    def add(self, vendor: Vendor) -> None:
        upsert(self._conn, vendors, _vendor_row(vendor), ["id"])
        self._conn.execute(delete(vendor_services).where(vendor_services.c.vendor_id == vendor.id))
        if vendor.services:
            self._conn.execute(
                insert(vendor_services),
                [{"vendor_id": vendor.id, "service_type": s} for s in sorted(vendor.services)],
            )

    def get(self, vendor_id: VendorId) -> Vendor | None:
        row = self._conn.execute(_GET_VENDOR, {"id": vendor_id}).mappings().first()
        return None if row is None else _vendor(row, self._services([vendor_id])[vendor_id])

    def listed(self, limit: int) -> list[Vendor]:
        offering = select(vendor_services.c.vendor_id)
        stmt = select(vendors).where(vendors.c.id.in_(offering)).order_by(vendors.c.id).limit(limit)
        rows = self._conn.execute(stmt).mappings().all()
        services = self._services([row["id"] for row in rows])
        return [_vendor(row, services[row["id"]]) for row in rows]

    def offering(
        self, service_type: str, min_rating: float, within: Area | None = None
    ) -> list[Vendor]:
        params: dict[str, Any] = {"service_type": service_type, "min_rating": min_rating}
        if within is None:
            rows = self._conn.execute(_OFFERING, params).all()
        else:
            south, north, west, east = within.bounds()
            params |= {"south": south, "north": north, "west": west, "east": east}
            rows = self._conn.execute(_OFFERING_IN_BOX, params).all()
        services = self._services([row.id for row in rows])
        return [_offered(row, frozenset(services[row.id])) for row in rows]

    def _services(self, vendor_ids: Sequence[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {vid: [] for vid in vendor_ids}
        if vendor_ids:
            params = {"vendor_ids": list(vendor_ids)}
            for vendor_id, service_type in self._conn.execute(_SERVICES, params).all():
                found[vendor_id].append(service_type)
        return found

    def add_window(self, vendor_id: VendorId, window: Interval) -> None:
        self._conn.execute(
            insert(vendor_windows).values(
                vendor_id=vendor_id, starts_at=window.start, ends_at=window.end
            )
        )

    def windows(
        self, vendor_ids: Iterable[VendorId], within: Interval
    ) -> Mapping[VendorId, Sequence[Interval]]:
        return self._intervals_by_vendor(_WINDOWS, vendor_ids, within)


class SqlAlchemyCustomers(SqlAlchemyRepository):
    def add(self, customer: Customer) -> None:
        row = {
            "id": customer.id,
            "name": customer.name,
            "email": customer.email,
            "phone": customer.phone,
            "synthetic": customer.synthetic,
        }
        upsert(self._conn, customers, row, ["id"])

    def get(self, customer_id: CustomerId) -> Customer | None:
        row = self._conn.execute(_CUSTOMER, {"id": customer_id}).mappings().first()
        if row is None:
            return None
        return Customer(
            id=CustomerId(row["id"]),
            name=row["name"],
            email=row["email"],
            phone=row["phone"],
            synthetic=row["synthetic"],
        )
