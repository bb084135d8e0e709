"""Where a quote and a confirm spend their time: N quote-then-confirm flows through the real app
in this process, with per-stage timings and the database work each request does.

    .venv/bin/python bench/profile_paths.py                      # 500 flows, one at a time
    .venv/bin/python bench/profile_paths.py --concurrency 8      # 8 threads: lock waits show
    .venv/bin/py-spy record -f raw -o paths.txt -- .venv/bin/python bench/profile_paths.py

The app is `bkctl serve`'s (local profile: SQLite in a temporary file, SimCity's payment
provider kept in that database, the request middleware on), without the background loops. The
flows are load mode's: a synthetic customer quotes a `sim-*` service in SimCity (population
from `POST /api/simcity/population`) and confirms the first candidate with a fresh
Idempotency-Key. Requests go through Starlette's TestClient.

Stages are timed by wrapping the functions that the route handlers call (authentication, the
use case, the rendering), so they add up to a little less than the request: the rest is
Starlette, the middleware and the TestClient. Per request it also counts, from SQLAlchemy's
events: transactions, statements, new database connections, the time spent waiting for
`BEGIN` (SQLite's write lock) and for a pooled connection, and how long the transactions held
the write lock (`BEGIN IMMEDIATE` to its end).
"""

from __future__ import annotations

import argparse
import functools
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from starlette.testclient import TestClient

import bookiji_core.usecases.idempotent as idempotent_module
import bookiji_entry.http._spec as spec_module
import bookiji_entry.http.bookings as bookings_http
import bookiji_entry.http.quotes as quotes_http
import bookiji_entry.shapes.bookings as booking_shapes
import bookiji_entry.shapes.quotes as quote_shapes
from bookiji_adapters.sqlalchemy.uow import SqlAlchemyUnitOfWork
from bookiji_entry.app import create_app
from bookiji_entry.bootstrap import bootstrap
from bookiji_entry.bootstrap import loops as all_loops
from bookiji_entry.problems import CORRELATION_ID
from bookiji_entry.seed import ADMIN_ID, fixed_token, seed_demo
from bookiji_entry.settings import Profile, Settings
from bookiji_entry.workers import Background

try:
    import bookiji_adapters.sqlalchemy.write_gate as gate_module
except ImportError:  # a version before the gate, for comparisons
    gate_module = None  # type: ignore[assignment]

ENDPOINTS = ("quote", "confirm")


class Recorder:
    """What each request's stages took, found by its X-Request-ID: the middleware puts it in
    a context variable, which the handler's worker thread inherits."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.open: dict[str, dict[str, float]] = {}
        self.seconds: dict[str, dict[str, list[float]]] = {e: defaultdict(list) for e in ENDPOINTS}

    @contextmanager
    def request(self, endpoint: str) -> Iterator[str]:
        request_id = uuid.uuid4().hex
        bucket: dict[str, float] = defaultdict(float)
        self.open[request_id] = bucket
        started = time.perf_counter()
        try:
            yield request_id
        finally:
            bucket["request"] = time.perf_counter() - started
            del self.open[request_id]
            with self.lock:
                for name, value in bucket.items():
                    self.seconds[endpoint][name].append(value)

    def add(self, name: str, value: float) -> None:
        bucket = self.open.get(CORRELATION_ID.get(None) or "")
        if bucket is not None:
            bucket[name] += value


RECORDER = Recorder()


def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            RECORDER.add(name, time.perf_counter() - started)

    return wrapper


def wrap(owner: Any, name: str, stage: str) -> None:
    setattr(owner, name, timed(stage, getattr(owner, name)))


def instrument() -> None:
    """Wrap the stages where the route handlers and the confirm use case look them up."""
    wrap(spec_module, "principal", "auth")
    wrap(quotes_http, "request_quote", "use case")
    wrap(bookings_http, "confirm_booking", "use case")
    wrap(idempotent_module, "_claim", "  claim key")
    wrap(quote_shapes.Quote, "of", "render")
    wrap(booking_shapes.Booking, "of", "render")
    wrap(SqlAlchemyUnitOfWork, "__enter__", "uow enter (pool checkout)")
    if gate_module is not None:  # the queue of this process's SQLite writers
        wrap(gate_module.WriteGate, "enter", "wait: write gate")

    @event.listens_for(Engine, "connect")
    def _connect(*_args: Any) -> None:
        RECORDER.add("count: new connections", 1)

    @event.listens_for(Engine, "begin")
    def _begin(conn: Any) -> None:
        RECORDER.add("count: transactions", 1)
        conn.info["bench_began"] = time.perf_counter()

    def _ended(conn: Any) -> None:
        began = conn.info.pop("bench_began", None)
        if began is not None:
            RECORDER.add("transaction: BEGIN to end", time.perf_counter() - began)

    event.listen(Engine, "commit", _ended)
    event.listen(Engine, "rollback", _ended)

    @event.listens_for(Engine, "before_cursor_execute")
    def _before(conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        conn.info["bench_statement"] = (statement, time.perf_counter())

    @event.listens_for(Engine, "after_cursor_execute")
    def _after(conn: Any, _cursor: Any, *_rest: Any) -> None:
        statement, started = conn.info.pop("bench_statement", ("", time.perf_counter()))
        elapsed = time.perf_counter() - started
        if statement.startswith("BEGIN"):
            RECORDER.add("wait: BEGIN (write lock)", elapsed)
        else:
            RECORDER.add("count: statements", 1)
            RECORDER.add("sql: execute", elapsed)


def population(client: TestClient) -> dict[str, Any]:
    admin = {"Authorization": f"Bearer {fixed_token(ADMIN_ID)}"}
    response = client.post("/api/simcity/population", headers=admin, json={"tokens": 50})
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def bodies(audience: dict[str, Any], rng: random.Random) -> Iterator[tuple[str, dict[str, Any]]]:
    """Load mode's flows: a random customer, service, day (1-7 ahead), quarter hour, place."""
    area = audience["area"]
    tokens = [c["token"] for c in audience["customers"]]
    km = area["radius_km"] / 3
    while True:
        day = datetime.now(UTC).date() + timedelta(days=rng.randint(1, 7))
        start = datetime(day.year, day.month, day.day, 8, tzinfo=UTC) + timedelta(
            minutes=15 * rng.randrange(44)
        )
        yield (
            rng.choice(tokens),
            {
                "service_type": rng.choice(audience["service_types"]),
                "location": {
                    "latitude": round(area["latitude"] + rng.uniform(-km, km) / 111.0, 5),
                    "longitude": round(area["longitude"] + rng.uniform(-km, km) / 111.0, 5),
                    "radius_km": area["radius_km"],
                },
                "date_time": start.isoformat().replace("+00:00", "Z"),
                "duration_minutes": rng.choice([30, 60]),
            },
        )


def flow(client: TestClient, token: str, body: dict[str, Any], statuses: dict[Any, int]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with RECORDER.request("quote") as request_id:
        headers["X-Request-ID"] = request_id
        quoted = client.post("/api/quote", headers=headers, json=body)
    statuses["quote", quoted.status_code] += 1
    if quoted.status_code not in (200, 201):
        return
    q = quoted.json()
    payload = {
        "quote_id": q["quote_id"],
        "provider_id": q["candidates"][0]["provider_id"],
        "payment_method": "pm_card_visa",
    }
    headers["Idempotency-Key"] = str(uuid.uuid4())
    with RECORDER.request("confirm") as request_id:
        headers["X-Request-ID"] = request_id
        confirmed = client.post("/api/bookings/confirm", headers=headers, json=payload)
    statuses["confirm", confirmed.status_code] += 1


def report(flows: int, concurrency: int, wall: float, statuses: dict[Any, int]) -> None:
    print(f"Quote then confirm through the app in process: {flows} flows, {concurrency} thread(s)")
    print(
        f"wall {wall:.2f} s, {flows / wall:.1f} flows/s; statuses {dict(sorted(statuses.items()))}"
    )
    for endpoint in ENDPOINTS:
        stages = RECORDER.seconds[endpoint]
        n = len(stages["request"])
        print(f"\n{endpoint} ({n} requests)         mean ms    P50 ms    P95 ms    P99 ms")
        order = [
            "request",
            *sorted(k for k in stages if k != "request" and not k.startswith("count")),
        ]
        for name in order:
            values = sorted(v * 1000 for v in stages[name]) + [0.0] * (n - len(stages[name]))
            values.sort()
            pick = [values[min(n - 1, int(q * n))] for q in (0.5, 0.95, 0.99)]
            print(
                f"  {name:26s} {statistics.fmean(values):8.3f}  "
                + "  ".join(f"{v:8.3f}" for v in pick)
            )
        for name in sorted(k for k in stages if k.startswith("count")):
            print(f"  {name:26s} {sum(stages[name]) / n:8.2f} per request")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flows", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=30, help="flows not measured (default 30)")
    parser.add_argument("--concurrency", type=int, default=1, help="threads sending flows")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--loops", action="store_true", help="run bkctl serve's background loops alongside"
    )
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="bookiji-paths-"))
    settings = Settings(profile=Profile.LOCAL, database_url=f"sqlite:///{workdir}/bench.db")
    services = bootstrap(settings)
    services.database.upgrade()
    seed_demo(services.uow(), datetime.now(UTC), fixed_tokens=True)
    rng = random.Random(args.seed)
    # The access log's JSON lines go to a file, as stderr would in production, not the terminal.
    access_lines = (workdir / "access.log").open("w")
    sys.stderr, stderr = access_lines, sys.stderr
    statuses: dict[Any, int] = defaultdict(int)
    background = Background(all_loops(services) if args.loops else [])
    background.start()
    with TestClient(create_app(services)) as client:
        make = bodies(population(client), rng)
        for _ in range(args.warmup):
            flow(client, *next(make), defaultdict(int))
        instrument()
        RECORDER.seconds = {e: defaultdict(list) for e in ENDPOINTS}
        work = [next(make) for _ in range(args.flows)]
        threads = [
            threading.Thread(
                target=lambda part=work[i :: args.concurrency]: [
                    flow(client, token, body, statuses) for token, body in part
                ]
            )
            for i in range(args.concurrency)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
    background.close()
    sys.stderr = stderr
    access_lines.close()
    services.database.dispose()
    report(args.flows, args.concurrency, wall, statuses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
