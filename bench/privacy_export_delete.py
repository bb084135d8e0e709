"""Time a privacy export and a deletion (request + shred) for customers with N bookings each.

    .venv/bin/python bench/privacy_export_delete.py sqlite:///var/privacy-bench.db
    .venv/bin/python bench/privacy_export_delete.py postgresql://postgres@127.0.0.1:5432/test \
        --sizes 10,100,1000 --repeat 3 --others 5000

Migrates the database and seeds, per run, a customer with N bookings (each with its quote, an
audit row, a committed hold message, a ledger entry and an access-log entry, the hold placed)
among `--others` bookings of other customers. Then times the real use cases on the real clock:
`export_subject`, `request_deletion`, and `shred_due` until the customer is shredded. The
"delete" figure is what `bookiji_privacy_request_duration_seconds{kind="delete"}` records: from
the request to the end of the shred. Prints medians and maxima per size; exits 1 if any export
or delete took 60 s or more (the privacy SLO) or left personal data behind.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import time
from datetime import datetime, timedelta
from typing import Any

from bookiji_adapters.sqlalchemy import SqlAlchemyStorage
from bookiji_adapters.system import SystemClock
from bookiji_core import (
    AccessLogEntry,
    Booking,
    BookingId,
    Candidate,
    Customer,
    CustomerId,
    Interval,
    Location,
    Money,
    OutboxMessage,
    Principal,
    Quote,
    QuoteId,
    QuoteRequest,
    Role,
    VendorId,
)
from bookiji_core.ledger import LedgerEntry, LedgerKind
from bookiji_core.payments import PaymentStatus
from bookiji_core.ports import UnitOfWork
from bookiji_core.privacy import ERASED
from bookiji_core.usecases.privacy import export_subject, request_deletion, shred_due

SLO_SECONDS = 60.0
PLACE = Location(49.2827, -123.1207)
FEE = Money("CAD", 100)
OFFICER = Principal(Role.ADMIN, "adm_bench")
BATCH = 200


class Durations:
    """The Telemetry port, keeping what the privacy use cases report."""

    def __init__(self) -> None:
        self.seen: dict[str, list[float]] = {"export": [], "delete": []}

    def privacy_request(self, kind: str, seconds: float) -> None:
        self.seen[kind].append(seconds)

    def __getattr__(self, _name: str) -> Any:
        return lambda *args, **kwargs: None


def seed_customer(uow: UnitOfWork, customer_id: str, bookings: int, start: datetime) -> None:
    """One customer with `bookings` bookings (and their trail), written in batches."""
    with uow:
        uow.customers.add(
            Customer(CustomerId(customer_id), f"Bench {customer_id}", f"{customer_id}@x.test", "+1")
        )
        uow.principals.add(f"hash-{customer_id}", Principal(Role.CUSTOMER, customer_id))
        uow.commit()
    for first in range(0, bookings, BATCH):
        with uow:
            for n in range(first, min(first + BATCH, bookings)):
                _one_booking(uow, customer_id, n, start)
            uow.commit()


def _one_booking(uow: UnitOfWork, customer_id: str, n: int, start: datetime) -> None:
    slot = Interval.starting(start + timedelta(hours=n), 60)
    quote_id, booking_id = QuoteId(f"q_{customer_id}_{n}"), BookingId(f"bk_{customer_id}_{n}")
    candidate = Candidate(VendorId("v_bench"), Money("CAD", 4500), 20, "Downtown", 1.2, 0.8)
    request = QuoteRequest(CustomerId(customer_id), "haircut", PLACE, 10.0, slot)
    now = start - timedelta(days=1)
    uow.quotes.add(
        Quote(quote_id, request, (candidate,), candidate.price, 20, FEE, now, now, f"i-{quote_id}")
    )
    booking = Booking.place(
        booking_id=booking_id,
        quote_id=quote_id,
        customer_id=CustomerId(customer_id),
        # One vendor per customer and run: the slots of a run never overlap.
        vendor_id=VendorId(f"v_{customer_id}"),
        interval=slot,
        price=candidate.price,
        commitment_fee=FEE,
        payment_method="pm_card_visa",
        confirm_within=timedelta(minutes=15),
        now=now,
    )
    booking.payment_status = PaymentStatus.HELD
    booking.payment_intent_id = f"pi_{booking_id}"
    uow.bookings.add(booking)
    for entry in booking.new_audit:
        uow.audit.append(entry)
    for command in booking.new_commands:
        message = OutboxMessage.queue(f"msg_{booking_id}", command, now).commit(now)
        uow.outbox.add(message)
    uow.ledger.append(
        LedgerEntry(booking_id, f"pi_{booking_id}", LedgerKind.HOLD, FEE, f"pi_{booking_id}", now)
    )
    uow.access_log.append(
        AccessLogEntry(customer_id, customer_id, "booking.confirm", f"booking:{booking_id}", now)
    )


def measure(storage: SqlAlchemyStorage, customer_id: str) -> dict[str, float]:
    clock, telemetry = SystemClock(), Durations()
    t0 = time.perf_counter()
    export = export_subject(customer_id, OFFICER, storage.unit_of_work(), clock, telemetry)
    t1 = time.perf_counter()
    request_deletion(customer_id, OFFICER, "benchmark", storage.unit_of_work(), clock)
    t2 = time.perf_counter()
    while customer_id not in shred_due(storage.unit_of_work(), clock, telemetry).shredded:
        pass
    t3 = time.perf_counter()
    with storage.unit_of_work() as uow:
        customer = uow.customers.get(CustomerId(customer_id))
    if customer is None or customer.email != ERASED or len(export["bookings"]) == 0:
        raise SystemExit(f"{customer_id}: not erased, or an empty export")
    return {
        "export": t1 - t0,
        "request": t2 - t1,
        "shred": t3 - t2,
        "delete": t3 - t1,
        "delete_reported": telemetry.seen["delete"][0],
        "export_kib": len(repr(export)) / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="sqlite:///path or postgresql://... (migrated on start)")
    parser.add_argument("--sizes", default="10,100,1000", help="bookings per customer")
    parser.add_argument("--repeat", type=int, default=3, help="customers per size (3)")
    parser.add_argument("--others", type=int, default=2000, help="other customers' bookings")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    storage = SqlAlchemyStorage(args.url)
    storage.upgrade()
    run = secrets.token_hex(3)
    # Each run books further ahead, so runs can repeat on one database without overlaps.
    start = SystemClock().now().replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    seed_customer(storage.unit_of_work(), f"c_{run}_others", args.others, start)
    print(f"Privacy export/delete: {storage!r}, {args.others} other bookings in the tables")
    print(f"{'bookings':>8}  {'export s':>17}  {'delete s':>17}  {'(request, shred)':>18}  size")
    worst = 0.0
    for size in sizes:
        results = []
        for k in range(args.repeat):
            customer_id = f"c_{run}_{size}_{k}"
            seed_customer(storage.unit_of_work(), customer_id, size, start)
            results.append(measure(storage, customer_id))
        worst = max(worst, *(max(r["export"], r["delete"]) for r in results))
        print(
            f"{size:>8}  {_summary(results, 'export'):>17}  {_summary(results, 'delete'):>17}  "
            f"({_median(results, 'request'):.3f}, {_median(results, 'shred'):.3f})"
            f"{'':>4}  {_median(results, 'export_kib'):.0f} KiB"
        )
    storage.dispose()
    verdict = "OK" if worst < SLO_SECONDS else "BREACH"
    print(f"median / max over {args.repeat} customers per size; worst {worst:.3f} s: {verdict}")
    return 0 if worst < SLO_SECONDS else 1


def _median(results: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in results)


def _summary(results: list[dict[str, float]], key: str) -> str:
    return f"{_median(results, key):.3f} / {max(r[key] for r in results):.3f}"


if __name__ == "__main__":
    sys.exit(main())
