"""The bare floor: the least a quote and a confirm must do, Starlette plus the raw driver.

It answers the same requests as Bookiji's `POST /api/quote` and `POST /api/bookings/confirm`
(and `POST /api/simcity/population`, so that the A/B client treats both servers alike), on the
same synthetic population, with the same durability: SQLite in WAL mode with
`synchronous = FULL`, or PostgreSQL. What it does per request, and nothing more:

- quote: one read of the token, one read of the candidates (the service's vendors inside the
  radius's bounding box with no overlapping booking), one insert of the quote;
- confirm: one read of the token, one read of the quote, then one transaction of four writes:
  the idempotency key, the booking (slot exclusivity in the database: a trigger on SQLite, a
  GiST exclusion constraint on PostgreSQL), the outbox message, the audit row.

No relay, no metrics, no access log. Run: `python -m bench.floor --db URL --port N`.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sqlite3
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bookiji_simcity.population import CENTRE, SERVICES, generate

VENDORS, CUSTOMERS = 80, 200

SCHEMA_SQLITE = """
CREATE TABLE tokens (hash TEXT PRIMARY KEY, customer_id TEXT NOT NULL);
CREATE TABLE offers (vendor_id TEXT, service TEXT, lat REAL, lon REAL, rate INTEGER,
    PRIMARY KEY (service, vendor_id));
CREATE TABLE quotes (id TEXT PRIMARY KEY, customer_id TEXT, service TEXT, starts_at TEXT,
    ends_at TEXT, candidates TEXT, expires_at TEXT, created_at TEXT);
CREATE TABLE idempotency (customer_id TEXT, key TEXT, booking_id TEXT,
    PRIMARY KEY (customer_id, key));
CREATE TABLE bookings (id TEXT PRIMARY KEY, quote_id TEXT, vendor_id TEXT, customer_id TEXT,
    starts_at TEXT, ends_at TEXT, state TEXT);
CREATE INDEX bookings_vendor ON bookings (vendor_id, starts_at);
CREATE TRIGGER bookings_exclusive BEFORE INSERT ON bookings
WHEN EXISTS (SELECT 1 FROM bookings b WHERE b.vendor_id = NEW.vendor_id
             AND b.starts_at < NEW.ends_at AND NEW.starts_at < b.ends_at)
BEGIN SELECT RAISE(ABORT, 'slot_taken'); END;
CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, booking_id TEXT, kind TEXT,
    payload TEXT, created_at TEXT);
CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, booking_id TEXT, event TEXT,
    at TEXT);
"""

SCHEMA_POSTGRES = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE tokens (hash TEXT PRIMARY KEY, customer_id TEXT NOT NULL);
CREATE TABLE offers (vendor_id TEXT, service TEXT, lat DOUBLE PRECISION,
    lon DOUBLE PRECISION, rate INTEGER, PRIMARY KEY (service, vendor_id));
CREATE TABLE quotes (id TEXT PRIMARY KEY, customer_id TEXT, service TEXT,
    starts_at TIMESTAMPTZ, ends_at TIMESTAMPTZ, candidates TEXT, expires_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ);
CREATE TABLE idempotency (customer_id TEXT, key TEXT, booking_id TEXT,
    PRIMARY KEY (customer_id, key));
CREATE TABLE bookings (id TEXT PRIMARY KEY, quote_id TEXT, vendor_id TEXT, customer_id TEXT,
    starts_at TIMESTAMPTZ, ends_at TIMESTAMPTZ, state TEXT,
    EXCLUDE USING gist (vendor_id WITH =, tstzrange(starts_at, ends_at) WITH &&));
CREATE TABLE outbox (id BIGSERIAL PRIMARY KEY, booking_id TEXT, kind TEXT, payload TEXT,
    created_at TIMESTAMPTZ);
CREATE TABLE audit (id BIGSERIAL PRIMARY KEY, booking_id TEXT, event TEXT, at TIMESTAMPTZ);
"""


class Store:
    """One connection per thread; on SQLite, writers of the process queue on one lock (as
    Bookiji's write gate does), so SQLite's busy handler never sleeps."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite = url.startswith("sqlite:")
        self._local = threading.local()
        self._write = threading.Lock()

    def connect(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            self._local.conn = conn
        return conn

    def _open(self) -> Any:
        if self.sqlite:
            conn = sqlite3.connect(
                self.url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA busy_timeout = 5000")
            return conn
        import psycopg

        return psycopg.connect(self.url, autocommit=True)

    def sql(self, text: str) -> str:
        return text.replace("%s", "?") if self.sqlite else text

    def read(self, text: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        return list(self.connect().execute(self.sql(text), params).fetchall())

    def write(self, statements: list[tuple[str, tuple[Any, ...]]]) -> list[int]:
        """Run the statements in one transaction; the row count of each."""
        conn = self.connect()
        counts = []
        if self.sqlite:
            with self._write:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    for text, params in statements:
                        counts.append(conn.execute(self.sql(text), params).rowcount)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
            return counts
        with conn.transaction():
            for text, params in statements:
                counts.append(conn.execute(text, params).rowcount)
        return counts

    def is_slot_taken(self, error: Exception) -> bool:
        return "slot_taken" in str(error) or "exclusion constraint" in str(error)


def _ts(store: Store, moment: datetime) -> Any:
    return moment.isoformat() if store.sqlite else moment


def _parse(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _customer(store: Store, request: Request) -> str | None:
    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    rows = store.read("SELECT customer_id FROM tokens WHERE hash = %s", (token,))
    return rows[0][0] if rows else None


def _problem(status: int, code: str) -> JSONResponse:
    return JSONResponse({"status": status, "code": code}, status_code=status)


def quote(store: Store, request: Request, body: dict[str, Any]) -> JSONResponse:
    customer = _customer(store, request)
    if customer is None:
        return _problem(401, "unauthenticated")
    loc = body["location"]
    lat, lon, km = float(loc["latitude"]), float(loc["longitude"]), float(loc["radius_km"])
    start = datetime.fromisoformat(body["date_time"].replace("Z", "+00:00"))
    end = start + timedelta(minutes=int(body["duration_minutes"]))
    dlat, dlon = km / 111.0, km / (111.0 * max(math.cos(math.radians(lat)), 0.01))
    rows = store.read(
        "SELECT o.vendor_id, o.lat, o.lon, o.rate FROM offers o WHERE o.service = %s"
        " AND o.lat BETWEEN %s AND %s AND o.lon BETWEEN %s AND %s AND NOT EXISTS ("
        "SELECT 1 FROM bookings b WHERE b.vendor_id = o.vendor_id"
        " AND b.starts_at < %s AND %s < b.ends_at)",
        (
            body["service_type"],
            lat - dlat,
            lat + dlat,
            lon - dlon,
            lon + dlon,
            _ts(store, end),
            _ts(store, start),
        ),
    )
    ranked = sorted(rows, key=lambda r: (r[1] - lat) ** 2 + (r[2] - lon) ** 2)[:5]
    candidates = [{"provider_id": r[0], "price": r[3]} for r in ranked]
    quote_id, now = f"q_{uuid.uuid4().hex}", datetime.now(UTC)
    store.write(
        [
            (
                "INSERT INTO quotes VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    quote_id,
                    customer,
                    body["service_type"],
                    _ts(store, start),
                    _ts(store, end),
                    json.dumps([c["provider_id"] for c in candidates]),
                    _ts(store, now + timedelta(minutes=15)),
                    _ts(store, now),
                ),
            )
        ]
    )
    return JSONResponse({"quote_id": quote_id, "candidates": candidates}, status_code=201)


def confirm(store: Store, request: Request, body: dict[str, Any]) -> JSONResponse:
    customer = _customer(store, request)
    if customer is None:
        return _problem(401, "unauthenticated")
    key = request.headers.get("idempotency-key")
    if not key:
        return _problem(400, "idempotency_key_required")
    rows = store.read(
        "SELECT starts_at, ends_at, candidates, expires_at FROM quotes"
        " WHERE id = %s AND customer_id = %s",
        (body["quote_id"], customer),
    )
    if not rows:
        return _problem(404, "quote_not_found")
    starts, ends, candidates, expires = rows[0]
    provider, now = body["provider_id"], datetime.now(UTC)
    if _parse(expires) < now:
        return _problem(410, "quote_expired")
    if provider not in json.loads(candidates):
        return _problem(422, "provider_not_in_quote")
    booking_id = f"b_{uuid.uuid4().hex}"
    try:
        counts = store.write(
            [
                (
                    "INSERT INTO idempotency VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                    (customer, key, booking_id),
                ),
                (
                    "INSERT INTO bookings VALUES (%s, %s, %s, %s, %s, %s, 'hold_placed')",
                    (booking_id, body["quote_id"], provider, customer, starts, ends),
                ),
                (
                    "INSERT INTO outbox (booking_id, kind, payload, created_at)"
                    " VALUES (%s, 'place_hold', %s, %s)",
                    (
                        booking_id,
                        json.dumps({"amount": 100, "pm": body["payment_method"]}),
                        _ts(store, now),
                    ),
                ),
                (
                    "INSERT INTO audit (booking_id, event, at) VALUES (%s, 'hold_placed', %s)",
                    (booking_id, _ts(store, now)),
                ),
            ]
        )
    except Exception as error:
        if store.is_slot_taken(error):
            return _problem(409, "slot_taken")
        raise
    if counts[0] == 0:  # a retry in a real service would replay; the bench never retries
        return _problem(409, "idempotency_in_progress")
    return JSONResponse({"booking_id": booking_id, "state": "hold_placed"}, status_code=201)


def seed(store: Store) -> None:
    conn = store.connect()
    if store.sqlite:
        conn.executescript(SCHEMA_SQLITE)
    else:
        conn.execute(SCHEMA_POSTGRES)
    population = generate(random.Random(1), vendors=VENDORS, customers=CUSTOMERS, currency="CAD")
    offers = [
        (v.id, s, v.location.latitude, v.location.longitude, v.hourly_rate.amount)
        for v in population.vendors
        for s in sorted(v.services)
    ]
    tokens = [(f"floor_{c.id}", c.id) for c in population.customers]
    store.write(
        [("INSERT INTO offers VALUES (%s, %s, %s, %s, %s)", row) for row in offers]
        + [("INSERT INTO tokens VALUES (%s, %s)", row) for row in tokens]
    )


def population(store: Store, body: dict[str, Any]) -> JSONResponse:
    wanted = int(body.get("tokens", 20))
    rows = store.read("SELECT hash, customer_id FROM tokens ORDER BY customer_id", ())
    return JSONResponse(
        {
            "customers": [{"customer_id": c, "token": t} for t, c in rows[:wanted]],
            "area": {"latitude": CENTRE.latitude, "longitude": CENTRE.longitude, "radius_km": 10},
            "service_types": list(SERVICES),
        }
    )


def create_app(store: Store) -> Starlette:
    def route(handler: Any, *, with_request: bool = True) -> Any:
        async def endpoint(request: Request) -> JSONResponse:
            from starlette.concurrency import run_in_threadpool

            body = json.loads(await request.body() or b"{}")
            if with_request:
                return await run_in_threadpool(handler, store, request, body)
            return await run_in_threadpool(handler, store, body)

        return endpoint

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/api/quote", route(quote), methods=["POST"]),
            Route("/api/bookings/confirm", route(confirm), methods=["POST"]),
            Route(
                "/api/simcity/population", route(population, with_request=False), methods=["POST"]
            ),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="sqlite:///PATH or postgresql://...")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    store = Store(args.db)
    seed(store)
    uvicorn.run(
        create_app(store), host="127.0.0.1", port=args.port, access_log=False, log_level="warning"
    )


if __name__ == "__main__":
    main()
