"""How many outbox messages per second the relay sustains against the SimCity gateway.

    .venv/bin/python bench/relay_throughput.py sqlite:///var/relay_bench.db
    .venv/bin/python bench/relay_throughput.py postgresql://postgres@127.0.0.1:5432/bookiji_bench
    .venv/bin/python bench/relay_throughput.py postgresql://... --relays 2 --port 19100
    PYTHONPATH=/path/to/old/src .venv/bin/python bench/relay_throughput.py ...  # a baseline

Migrates the database, seeds N bookings, each with its queued place_hold message (as confirm
writes them), then times the relay draining them all. With one relay the SimCity gateway runs
in-process; with several, each relay is its own OS process and they share one SimCity provider
behind its HTTP server (as relays share Stripe), so the figure includes that HTTP hop. Prints
messages per second and checks that every message was committed with one provider effect;
the last line (`figures:`) is the same for any commit, to put runs side by side. `--parallel`
(provider calls in flight per relay) is ignored, and reported as such, by a relay that has no
such setting (a commit before the batched relay).
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import secrets
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from bookiji_adapters.memory import InMemoryTelemetry, SequentialIds
from bookiji_adapters.simcity import SimCityPaymentGateway
from bookiji_adapters.simcity.remote import RemoteSimCityPaymentGateway, make_server
from bookiji_adapters.sqlalchemy import SqlAlchemyStorage
from bookiji_adapters.system import SystemClock
from bookiji_core import Booking, BookingId, Interval, Money, OutboxState
from bookiji_core.ports import PaymentGateway
from bookiji_core.usecases import OutboxRelay, RelaySettings
from bookiji_core.usecases.changes import record_changes
from bookiji_core.values import CustomerId, QuoteId, VendorId


def seed(storage: SqlAlchemyStorage, count: int, run: str) -> None:
    now = datetime.now(UTC)
    ids = SequentialIds(namespace=f"{run}_")
    for chunk in range(0, count, 500):
        with storage.unit_of_work() as uow:
            for n in range(chunk, min(count, chunk + 500)):
                booking = Booking.place(
                    booking_id=BookingId(f"bk_{run}_{n:06d}"),
                    quote_id=QuoteId(f"q_{run}_{n}"),
                    customer_id=CustomerId(f"c{n % 20}"),
                    vendor_id=VendorId(f"bench_{run}_{n % 100}"),
                    interval=Interval.starting(now + timedelta(days=2, hours=n), 60),
                    price=Money("CAD", 4500),
                    commitment_fee=Money("CAD", 100),
                    payment_method="pm_card_visa",
                    confirm_within=timedelta(days=1),
                    now=now,
                )
                uow.bookings.add(booking)
                record_changes(uow, booking, ids, now)
            uow.commit()


def relay_settings(batch: int, parallel: int) -> tuple[RelaySettings, str]:
    """The relay's settings, and how many calls it keeps in flight ("n/a": no such setting)."""
    try:
        return RelaySettings(batch=batch, parallel=parallel), str(parallel)  # type: ignore[call-arg]
    except TypeError:
        return RelaySettings(batch=batch), "n/a"


def relay(
    url: str,
    gateway: PaymentGateway,
    owner: str,
    batch: int,
    parallel: int,
    start_line: object = None,
) -> int:
    storage = SqlAlchemyStorage(url)
    with storage.unit_of_work() as uow:  # connect before the start line
        uow.outbox.counts()
    if start_line is not None:
        ready, go = start_line  # type: ignore[misc]
        ready.put(owner)
        go.wait()
    worker = OutboxRelay(
        storage.unit_of_work(),
        gateway,
        SystemClock(),
        InMemoryTelemetry(),
        owner=owner,
        settings=relay_settings(batch, parallel)[0],
    )
    committed = 0
    while True:
        report = worker.run_once()
        committed += report.committed
        if report.claimed == 0:
            break
    storage.dispose()
    return committed


def _relay_process(
    url: str,
    provider: str,
    owner: str,
    batch: int,
    parallel: int,
    ready: object,
    go: object,
    done: object,
) -> None:
    gateway = RemoteSimCityPaymentGateway(provider)
    done.put(relay(url, gateway, owner, batch, parallel, (ready, go)))  # type: ignore[attr-defined]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--relays", type=int, default=1)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--parallel", type=int, default=1, help="provider calls in flight")
    parser.add_argument("--port", type=int, default=0, help="the provider server's (relays > 1)")
    args = parser.parse_args()

    storage = SqlAlchemyStorage(args.database_url)
    storage.upgrade()
    with storage.unit_of_work() as uow:
        before = uow.outbox.counts()
    if before[OutboxState.QUEUED] + before[OutboxState.IN_FLIGHT]:
        print("the outbox already has undelivered messages; use an empty database", file=sys.stderr)
        return 2
    run = secrets.token_hex(3)
    seed(storage, args.messages, run)

    gateway = SimCityPaymentGateway(clock=SystemClock(), rng=random.Random(1))
    if args.relays == 1:
        started = time.perf_counter()
        committed = relay(args.database_url, gateway, "bench-0", args.batch, args.parallel)
        elapsed = time.perf_counter() - started
    else:
        server = make_server(gateway, "127.0.0.1", args.port)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        provider = f"http://127.0.0.1:{server.server_address[1]}"
        context = multiprocessing.get_context("spawn")
        ready, go, done = context.Queue(), context.Event(), context.Queue()
        procs = [
            context.Process(
                target=_relay_process,
                args=(
                    args.database_url,
                    provider,
                    f"bench-{n}",
                    args.batch,
                    args.parallel,
                    ready,
                    go,
                    done,
                ),
            )
            for n in range(args.relays)
        ]
        for proc in procs:
            proc.start()
        for _ in procs:  # every process started, imported and connected: the clock starts
            ready.get()
        started = time.perf_counter()
        go.set()
        committed = sum(done.get() for _ in procs)
        elapsed = time.perf_counter() - started  # not the processes' exit nor the server's
        for proc in procs:
            proc.join()
        server.shutdown()  # which waits out serve_forever's half-second poll

    effects = Counter(e.idempotency_key for e in gateway.effects)
    ok = committed == args.messages and len(effects) == args.messages
    ok = ok and set(effects.values()) == {1}
    print("Relay throughput against the SimCity gateway")
    print(f"database:   {storage.engine.url.render_as_string(hide_password=True)}")
    how = "in-process gateway" if args.relays == 1 else "processes, gateway over HTTP"
    parallel = relay_settings(args.batch, args.parallel)[1]
    print(f"relays:     {args.relays} ({how}), batch {args.batch}, parallel {parallel}")
    print(f"messages:   {args.messages} place_hold, {committed} committed")
    print(f"effects:    {len(gateway.effects)} for {len(effects)} keys")
    print(f"wall time:  {elapsed:.2f} s")
    print(f"throughput: {args.messages / elapsed:.0f} messages/s")
    print(f"verdict:    {'OK' if ok else 'FAILED'}")
    dialect = storage.engine.dialect.name
    print(
        f"figures:    {dialect} relays={args.relays} batch={args.batch} parallel={parallel} "
        f"messages={args.messages} seconds={elapsed:.2f} msg/s={args.messages / elapsed:.0f} "
        f"ok={ok}"
    )
    storage.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
