"""Vendors' own catalogues as SQL rows: a schedule, its hours and exceptions, its offers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, bindparam, delete, insert, select

from bookiji_adapters.sqlalchemy.base import SqlAlchemyRepository, upsert
from bookiji_adapters.sqlalchemy.id_lists import any_of, in_constants
from bookiji_adapters.sqlalchemy.tables import (
    ACTIVE_BOOKING_STATES,
    bookings,
    quotes,
    vendor_hours,
    vendor_offers,
    vendor_schedules,
)
from bookiji_core.catalogue import Commitment, ServiceOffer, VendorCatalogue
from bookiji_core.schedule import DayException, Hours, VendorSchedule
from bookiji_core.values import Interval, Money, VendorId

# Built once: every quote reads the catalogues of the nearby vendors.
_SCHEDULES = select(vendor_schedules).where(any_of(vendor_schedules.c.vendor_id, "vendor_ids"))
_HOURS = (
    select(vendor_hours)
    .where(any_of(vendor_hours.c.vendor_id, "vendor_ids"))
    .order_by(vendor_hours.c.vendor_id, vendor_hours.c.id)
)
_OFFERS = (
    select(vendor_offers)
    .where(any_of(vendor_offers.c.vendor_id, "vendor_ids"))
    .order_by(vendor_offers.c.vendor_id, vendor_offers.c.service_type)
)
_COMMITMENTS = (
    select(bookings.c.id, bookings.c.starts_at, bookings.c.ends_at, quotes.c.service_type)
    .outerjoin(quotes, quotes.c.id == bookings.c.quote_id)
    .where(
        bookings.c.vendor_id == bindparam("vendor_id"),
        in_constants(bookings.c.state, ACTIVE_BOOKING_STATES),
        bookings.c.ends_at > bindparam("after"),
    )
    .order_by(bookings.c.starts_at, bookings.c.id)
)


def _hours_rows(catalogue: VendorCatalogue) -> list[dict[str, Any]]:
    base: dict[str, Any] = {"vendor_id": catalogue.vendor_id, "weekday": None, "on_date": None}
    schedule = catalogue.schedule
    rows = [
        {**base, "weekday": day, "opens_minute": h.opens, "closes_minute": h.closes}
        for day, hours in enumerate(schedule.weekly)
        for h in hours
    ]
    for e in schedule.exceptions:
        if e.closed:
            rows.append({**base, "on_date": e.on, "opens_minute": None, "closes_minute": None})
        rows += [
            {**base, "on_date": e.on, "opens_minute": h.opens, "closes_minute": h.closes}
            for h in e.hours
        ]
    return rows


def _schedule(time_zone: str, rows: Sequence[RowMapping]) -> VendorSchedule:
    weekly: list[list[Hours]] = [[] for _ in range(7)]
    dated: dict[Any, list[Hours]] = {}
    for row in rows:
        hours = None
        if row["opens_minute"] is not None:
            hours = Hours(row["opens_minute"], row["closes_minute"])
        if row["weekday"] is not None and hours is not None:
            weekly[row["weekday"]].append(hours)
        elif row["on_date"] is not None:
            dated.setdefault(row["on_date"], [])
            if hours is not None:
                dated[row["on_date"]].append(hours)
    return VendorSchedule(
        time_zone,
        tuple(tuple(sorted(day)) for day in weekly),
        tuple(DayException(on, tuple(sorted(h))) for on, h in sorted(dated.items())),
    )


def _offer(row: RowMapping) -> ServiceOffer:
    durations = [int(d) for d in row["durations"].split(",") if d]
    return ServiceOffer(
        row["service_type"], Money(row["currency"], row["hourly_rate_amount"]), tuple(durations)
    )


class SqlAlchemyCatalogues(SqlAlchemyRepository):
    def get(self, vendor_id: VendorId) -> VendorCatalogue | None:
        return self.for_vendors([vendor_id]).get(vendor_id)

    def save(self, catalogue: VendorCatalogue) -> None:
        vid = catalogue.vendor_id
        row = {"vendor_id": vid, "time_zone": catalogue.schedule.time_zone}
        upsert(self._conn, vendor_schedules, row, ["vendor_id"])
        # The aggregate is saved whole: its rows are few and replaced together.
        for table in (vendor_hours, vendor_offers):
            self._conn.execute(delete(table).where(table.c.vendor_id == vid))
        hours = _hours_rows(catalogue)
        if hours:
            self._conn.execute(insert(vendor_hours), hours)
        offers = [
            {
                "vendor_id": vid,
                "service_type": o.service_type,
                "hourly_rate_amount": o.hourly_rate.amount,
                "currency": o.hourly_rate.currency,
                "durations": ",".join(str(d) for d in o.durations),
            }
            for o in catalogue.offers
        ]
        if offers:
            self._conn.execute(insert(vendor_offers), offers)

    def for_vendors(self, vendor_ids: Iterable[VendorId]) -> Mapping[VendorId, VendorCatalogue]:
        ids = list(dict.fromkeys(vendor_ids))
        if not ids:
            return {}
        params = {"vendor_ids": ids}
        zones = {
            r["vendor_id"]: r["time_zone"]
            for r in self._conn.execute(_SCHEDULES, params).mappings()
        }
        if not zones:
            return {}
        hours: defaultdict[str, list[RowMapping]] = defaultdict(list)
        for row in self._conn.execute(_HOURS, params).mappings():
            hours[row["vendor_id"]].append(row)
        offers: defaultdict[str, list[ServiceOffer]] = defaultdict(list)
        for row in self._conn.execute(_OFFERS, params).mappings():
            offers[row["vendor_id"]].append(_offer(row))
        return {
            VendorId(vid): VendorCatalogue(
                VendorId(vid), _schedule(zone, hours[vid]), tuple(offers[vid])
            )
            for vid, zone in zones.items()
        }

    def commitments(self, vendor_id: VendorId, after: datetime) -> list[Commitment]:
        rows = self._conn.execute(_COMMITMENTS, {"vendor_id": vendor_id, "after": after})
        return [
            Commitment(booking_id, Interval(starts_at, ends_at), service_type)
            for booking_id, starts_at, ends_at, service_type in rows
        ]
