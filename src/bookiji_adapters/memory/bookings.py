"""In-memory bookings (one active booking per vendor and time) and their audit trail."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import attrs

from bookiji_adapters.memory.state import Repo
from bookiji_core.booking import ACTIVE_STATES, AuditEntry, Booking
from bookiji_core.errors import ConcurrentUpdate, SlotTaken
from bookiji_core.values import BookingId, CustomerId, Interval, VendorId


def copy_booking(booking: Booking) -> Booking:
    # Aggregates are mutable: hand out and keep copies so that nothing leaks past a rollback.
    return attrs.evolve(booking, new_audit=[], new_commands=[])


class InMemoryBookings(Repo):
    def add(self, booking: Booking) -> None:
        if booking.is_active and self._overlapping(booking):
            raise SlotTaken(f"vendor {booking.vendor_id} is already booked at that time")
        self._s.bookings[booking.id] = attrs.evolve(copy_booking(booking), version=1)
        booking.version = 1

    def _overlapping(self, booking: Booking) -> bool:
        return any(
            other.vendor_id == booking.vendor_id
            and other.id != booking.id
            and other.is_active
            and other.interval.overlaps(booking.interval)
            for other in self._s.bookings.values()
        )

    def get(self, booking_id: BookingId, *, for_update: bool = False) -> Booking | None:
        stored = self._s.bookings.get(booking_id)
        return None if stored is None else copy_booking(stored)

    def get_many(
        self, booking_ids: Iterable[BookingId], *, for_update: bool = False
    ) -> dict[BookingId, Booking]:
        found = {i: self._s.bookings.get(i) for i in sorted(set(booking_ids))}
        return {i: copy_booking(b) for i, b in found.items() if b is not None}

    def update(self, booking: Booking) -> None:
        stored = self._s.bookings.get(booking.id)
        if stored is None or stored.version != booking.version:
            raise ConcurrentUpdate(f"booking {booking.id} was changed by another transaction")
        if booking.is_active and self._overlapping(booking):
            raise SlotTaken(f"vendor {booking.vendor_id} is already booked at that time")
        booking.version += 1
        self._s.bookings[booking.id] = copy_booking(booking)

    def busy(
        self, vendor_ids: Iterable[VendorId], within: Interval
    ) -> Mapping[VendorId, Sequence[Interval]]:
        wanted = set(vendor_ids)
        result: dict[VendorId, list[Interval]] = {vid: [] for vid in wanted}
        for b in self._s.bookings.values():
            if b.vendor_id in wanted and b.state in ACTIVE_STATES and b.interval.overlaps(within):
                result[b.vendor_id].append(b.interval)
        return result

    def list_for(
        self,
        *,
        customer_id: CustomerId | None = None,
        vendor_id: VendorId | None = None,
        limit: int = 100,
    ) -> list[Booking]:
        found = [
            copy_booking(b)
            for b in self._s.bookings.values()
            if (customer_id is None or b.customer_id == customer_id)
            and (vendor_id is None or b.vendor_id == vendor_id)
        ]
        found.sort(key=lambda b: (b.created_at, b.id), reverse=True)
        return found[:limit]

    def due_for_auto_cancel(self, now: datetime, limit: int) -> list[BookingId]:
        due = [
            b
            for b in self._s.bookings.values()
            if b.state == "hold_placed" and b.hold_expires_at <= now
        ]
        due.sort(key=lambda b: (b.hold_expires_at, b.id))
        return [b.id for b in due[:limit]]


class InMemoryAuditTrail(Repo):
    def append(self, entry: AuditEntry) -> None:
        self._s.audit.append(entry)

    def for_booking(self, booking_id: BookingId) -> list[AuditEntry]:
        return [e for e in self._s.audit if e.booking_id == booking_id]
