"""Bookings each with its queued `place_hold` message, as confirm writes them: what the relay
tests and benchmarks start from."""

from __future__ import annotations

from datetime import datetime, timedelta

from bookiji_adapters.memory import SequentialIds
from bookiji_adapters.sqlalchemy import SqlAlchemyStorage
from bookiji_core import Booking, BookingId, Interval, Money
from bookiji_core.usecases.changes import record_changes
from bookiji_core.values import CustomerId, QuoteId, VendorId


def booking_id(prefix: str, n: int) -> BookingId:
    return BookingId(f"{prefix}_{n:05d}")


def seed_queued_holds(
    storage: SqlAlchemyStorage, numbers: range, *, start: datetime, prefix: str = "bk"
) -> None:
    """Booking `prefix_NNNNN` for each n in `numbers` (its own hour, one of 50 vendors), in
    transactions of 200."""
    ids = SequentialIds(namespace=f"{prefix}{numbers.start}_")
    for chunk in range(numbers.start, numbers.stop, 200):
        with storage.unit_of_work() as uow:
            for n in range(chunk, min(numbers.stop, chunk + 200)):
                booking = Booking.place(
                    booking_id=booking_id(prefix, n),
                    quote_id=QuoteId(f"q_{prefix}_{n}"),
                    customer_id=CustomerId(f"c{n % 20}"),
                    vendor_id=VendorId(f"v{n % 50}"),
                    interval=Interval.starting(start + timedelta(days=2, hours=n), 60),
                    price=Money("CAD", 4500),
                    commitment_fee=Money("CAD", 100),
                    payment_method="pm_card_visa",
                    confirm_within=timedelta(days=1),
                    now=start,
                )
                uow.bookings.add(booking)
                record_changes(uow, booking, ids, start)
            uow.commit()
