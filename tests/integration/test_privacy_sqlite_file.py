"""After the shredder, no personal value of the person is left in any row of the SQLite file,
and the access log still shows who exported and who deleted them."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from bookiji_adapters.memory import InMemoryTelemetry, ManualClock, SequentialIds
from bookiji_adapters.simcity import SimCityPaymentGateway
from bookiji_adapters.sqlalchemy import SqlAlchemyStorage
from bookiji_core.access import Principal, Role
from bookiji_core.catalogue import Customer
from bookiji_core.quoting import QuoteRequest
from bookiji_core.usecases import (
    ConfirmBooking,
    OutboxRelay,
    cancel_booking,
    confirm_booking,
    request_quote,
)
from bookiji_core.usecases.privacy import export_subject, request_deletion, shred_due
from bookiji_core.values import CustomerId, Interval, Location
from bookiji_entry.bootstrap import Database, Services, bootstrap
from bookiji_entry.seed import DEMO_CUSTOMERS, seed_demo
from bookiji_entry.settings import Profile, Settings

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
SUBJECT = CustomerId("cus_01")
# Where the customer asked from: exact to the metre, so it is personal data too.
ASKED_FROM = Location(49.282713, -123.120734)
TOMORROW = datetime(2030, 1, 8, 18, 0, tzinfo=UTC)
OFFICER = Principal(Role.ADMIN, "adm_privacy")


def _insecure_delete(dbapi_connection: Any, _record: object) -> None:
    # As on SQLite builds without SECURE_DELETE (Debian's has it on): freed bytes stay put.
    dbapi_connection.execute("PRAGMA secure_delete = OFF")


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    storage = SqlAlchemyStorage(f"sqlite:///{tmp_path / 'b.db'}")
    event.listen(storage.engine, "connect", _insecure_delete)
    wired = bootstrap(
        Settings(profile=Profile.TEST, database_url=storage.url.render_as_string()),
        clock=ManualClock(NOW),
        ids=SequentialIds(),
        telemetry=InMemoryTelemetry(),
        database=Database(storage.unit_of_work, storage.upgrade, storage.dispose),  # type: ignore[arg-type]
    )
    wired.database.upgrade()
    seed_demo(wired.uow(), NOW, fixed_tokens=True)
    yield wired
    wired.database.dispose()


def book(services: Services, hour: int, key: str) -> str:
    customer = Principal(Role.CUSTOMER, SUBJECT)
    request = QuoteRequest(
        SUBJECT, "haircut", ASKED_FROM, 10.0, Interval.starting(TOMORROW.replace(hour=hour), 60)
    )
    quote = request_quote(
        request, services.uow(), services.clock, services.ids, services.policy, services.maps
    ).quote
    command = ConfirmBooking(
        customer, quote.id, quote.candidates[0].vendor_id, "pm_card_mastercard", key
    )
    booking_id = confirm_booking(command, services.uow(), services.clock, services.ids).booking.id
    gateway = SimCityPaymentGateway(clock=services.clock, rng=random.Random(3))
    OutboxRelay(services.uow(), gateway, services.clock, InMemoryTelemetry(), owner="relay").drain()
    return booking_id


def rows_of_every_table(path: Path) -> Iterator[tuple[str, str]]:
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):
                yield table, " | ".join(str(value) for value in row)


def test_no_personal_value_of_a_shredded_customer_is_left_in_any_row(
    services: Services, tmp_path: Path
) -> None:
    person: Customer = next(c for c in DEMO_CUSTOMERS if c.id == SUBJECT)
    pii = [person.name, person.email, person.phone, "pm_card_mastercard", "49.282713"]
    book(services, 18, "k1")
    second = book(services, 20, "k2")
    cancel_booking(
        second,
        Principal(Role.CUSTOMER, SUBJECT),
        services.uow(),
        services.clock,
        services.ids,
        f"sorry, call me on {person.phone}",
    )
    path = tmp_path / "b.db"
    before = [(t, row) for t, row in rows_of_every_table(path) if any(v in row for v in pii)]
    assert {t for t, _ in before} >= {"customers", "quotes", "bookings", "booking_audit"}

    export_subject(SUBJECT, OFFICER, services.uow(), services.clock, services.telemetry)
    request_deletion(SUBJECT, OFFICER, "ticket PRIV-1", services.uow(), services.clock)
    assert shred_due(services.uow(), services.clock, services.telemetry).shredded == (SUBJECT,)
    # The server is still running (its connections open): the shredder's checkpoint has
    # already emptied the -wal file, where the first versions of the rows were.
    wal = tmp_path / "b.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0

    left = [(t, row) for t, row in rows_of_every_table(path) if any(v in row for v in pii)]
    assert left == []
    # Nor in the file's free space (the shredder zeroes what it overwrites), nor in the WAL.
    files = sorted(f.name for f in tmp_path.iterdir() if f.name.startswith("b.db"))
    raw = b"".join((tmp_path / name).read_bytes() for name in files)
    assert [v for v in pii if v.encode() in raw] == []
    assert "b.db" in files
    with sqlite3.connect(path) as db:
        log = db.execute(
            "SELECT purpose, actor_id FROM access_log WHERE subject_id = ? ORDER BY id", (SUBJECT,)
        ).fetchall()
    assert ("privacy.export", "adm_privacy") in log
    assert ("privacy.delete", "adm_privacy") in log
    assert ("privacy.delete", "system:shredder") in log
