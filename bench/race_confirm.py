"""Race N confirms for one vendor's slot, each in its own OS process with its own connection.

    .venv/bin/python bench/race_confirm.py postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/race_confirm.py sqlite:///var/race.db --processes 16 --same-key

Migrates the database, seeds a vendor with a service of its own (so other data cannot get in
the way), quotes one slot, then releases N spawned processes at once, each calling the real
`confirm_booking` use case. Prints the outcome counts, the bookings stored and the timings; exits
1 unless exactly one booking was made and every other answer was a clean refusal (distinct
keys: SlotTaken) or a replay (--same-key: the same booking, or IdempotencyInProgress).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import secrets
import statistics
import sys
import time
from collections import Counter
from datetime import timedelta
from multiprocessing.synchronize import Barrier
from typing import Any

from bookiji_adapters.maps import GridMapProvider
from bookiji_adapters.sqlalchemy import SqlAlchemyStorage
from bookiji_adapters.system import RandomIds, SystemClock
from bookiji_core import (
    Customer,
    CustomerId,
    Interval,
    Location,
    Money,
    Principal,
    QuoteId,
    QuotePolicy,
    QuoteRequest,
    Role,
    Vendor,
    VendorId,
)
from bookiji_core.errors import DomainError
from bookiji_core.usecases import ConfirmBooking, confirm_booking, request_quote

PLACE = Location(49.2827, -123.1207)
CLEAN = {
    "distinct": {"booked", "SlotTaken"},
    "same": {"booked", "replayed", "IdempotencyInProgress"},
}


def prepare(url: str) -> dict[str, str]:
    """Migrate, seed one vendor and customer, and quote a slot tomorrow; the race's inputs."""
    run = secrets.token_hex(4)
    vendor_id, customer_id, service = f"v_race_{run}", f"c_race_{run}", f"race-{run}"
    clock = SystemClock()
    tomorrow = clock.now().replace(second=0, microsecond=0) + timedelta(days=1)
    storage = SqlAlchemyStorage(url)
    storage.upgrade()
    with storage.unit_of_work() as uow:
        uow.vendors.add(
            Vendor(
                VendorId(vendor_id),
                "Race Vendor",
                "race@example.test",
                "+1 604 555 0199",
                "1 Race St",
                PLACE,
                "Downtown",
                frozenset({service}),
                Money("CAD", 6000),
                rating=4.8,
                response_minutes=5,
                synthetic=True,
            )
        )
        uow.vendors.add_window(VendorId(vendor_id), Interval.starting(tomorrow, 8 * 60))
        uow.customers.add(Customer(CustomerId(customer_id), "Racer", "r@example.test", "+1", True))
        uow.commit()
    request = QuoteRequest(
        CustomerId(customer_id), service, PLACE, 5.0, Interval.starting(tomorrow, 60)
    )
    quote = request_quote(
        request, storage.unit_of_work(), clock, RandomIds(), QuotePolicy(), GridMapProvider()
    )
    storage.dispose()
    return {"vendor_id": vendor_id, "customer_id": customer_id, "quote_id": quote.quote.id}


def confirm_once(
    url: str, inputs: dict[str, str], key: str, start_line: Barrier, results: Any
) -> None:
    """One racer: connect and read the quote first, wait for the others, confirm, report."""
    storage = SqlAlchemyStorage(url)
    with storage.unit_of_work() as uow:  # the pooled connection is open before the start
        uow.quotes.get(QuoteId(inputs["quote_id"]))
    command = ConfirmBooking(
        Principal(Role.CUSTOMER, inputs["customer_id"]),
        inputs["quote_id"],
        inputs["vendor_id"],
        "pm_card_visa",
        key,
    )
    start_line.wait(timeout=120)
    started = time.time()
    booking_id = None
    try:
        result = confirm_booking(command, storage.unit_of_work(), SystemClock(), RandomIds())
        outcome, booking_id = ("replayed" if result.replayed else "booked"), result.booking.id
    except DomainError as error:
        outcome = type(error).__name__
    except Exception as error:  # anything else is a bug the race exposed: report it, loudly
        outcome = f"unexpected {type(error).__name__}: {error}"
    finished = time.time()
    storage.dispose()
    results.put(
        {"outcome": outcome, "booking_id": booking_id, "started": started, "finished": finished}
    )


def race(url: str, inputs: dict[str, str], processes: int, same_key: bool) -> list[dict[str, Any]]:
    context = multiprocessing.get_context("spawn")
    start_line = context.Barrier(processes)
    results = context.Queue()
    racers = [
        context.Process(
            target=confirm_once,
            args=(url, inputs, "race-key" if same_key else f"race-key-{n}", start_line, results),
        )
        for n in range(processes)
    ]
    for racer in racers:
        racer.start()
    answers = [results.get(timeout=180) for _ in racers]
    for racer in racers:
        racer.join(timeout=30)
    return answers


def stored_bookings(url: str, vendor_id: str) -> list[str]:
    storage = SqlAlchemyStorage(url)
    with storage.unit_of_work() as uow:
        found = [b.id for b in uow.bookings.list_for(vendor_id=VendorId(vendor_id))]
    storage.dispose()
    return found


def summarise(
    url: str, inputs: dict[str, str], answers: list[dict[str, Any]], same_key: bool
) -> dict[str, Any]:
    bookings = stored_bookings(url, inputs["vendor_id"])
    outcomes = Counter(a["outcome"] for a in answers)
    answered_ids = {a["booking_id"] for a in answers if a["booking_id"]}
    latencies = sorted((a["finished"] - a["started"]) * 1000 for a in answers)
    ok = (
        len(bookings) == 1
        and outcomes["booked"] == 1
        and set(outcomes) <= CLEAN["same" if same_key else "distinct"]
        and answered_ids == set(bookings)
    )
    return {
        "database": SqlAlchemyStorage(url).url.render_as_string(hide_password=True),
        "processes": len(answers),
        "same_key": same_key,
        "vendor_id": inputs["vendor_id"],
        "outcomes": dict(sorted(outcomes.items())),
        "bookings_stored": len(bookings),
        "latency_ms": {
            "min": round(latencies[0], 1),
            "median": round(statistics.median(latencies), 1),
            "p95": round(latencies[max(0, round(0.95 * len(latencies)) - 1)], 1),
            "max": round(latencies[-1], 1),
        },
        "wall_ms": round(
            (max(a["finished"] for a in answers) - min(a["started"] for a in answers)) * 1000, 1
        ),
        "ok": ok,
    }


def report(summary: dict[str, Any]) -> str:
    keys = "the same idempotency key" if summary["same_key"] else "distinct idempotency keys"
    outcomes = ", ".join(f"{name} {count}" for name, count in summary["outcomes"].items())
    lat = summary["latency_ms"]
    return "\n".join(
        [
            f"Confirm race: {summary['processes']} processes, one slot, {keys}",
            f"database:        {summary['database']}",
            f"outcomes:        {outcomes}",
            f"bookings stored: {summary['bookings_stored']}",
            f"confirm latency: min {lat['min']} ms, median {lat['median']} ms, "
            f"p95 {lat['p95']} ms, max {lat['max']} ms",
            f"race wall time:  {summary['wall_ms']} ms (first start to last answer)",
            f"verdict:         {'OK' if summary['ok'] else 'FAILED'}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="database URL, e.g. sqlite:///var/race.db or postgresql://…")
    parser.add_argument("--processes", type=int, default=16)
    parser.add_argument("--same-key", action="store_true", help="every racer sends one key")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    inputs = prepare(args.url)
    answers = race(args.url, inputs, args.processes, args.same_key)
    summary = summarise(args.url, inputs, answers, args.same_key)
    print(json.dumps(summary) if args.json else report(summary))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
