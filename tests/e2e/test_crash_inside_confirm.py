"""A real `bkctl serve` SIGKILLed at each transaction boundary of a confirm (the crash drill,
BOOKIJI_TEST_CRASH_AT): nothing answered 201 is lost, and a retry with the same key gets the
original answer or, once the first attempt's lease is over, a clean run."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_bkctl_serve import BKCTL, _wait_ready, free_port

CUSTOMER = {"Authorization": "Bearer demo-cus_01"}  # the local profile's public demo token


def start(db: Path, crash_at: str | None = None) -> tuple[str, subprocess.Popen[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKIJI_")}
    env["BOOKIJI_DATABASE_URL"] = f"sqlite:///{db}"
    if crash_at:
        env["BOOKIJI_TEST_CRASH_AT"] = crash_at
    port = free_port()
    process = subprocess.Popen(
        [BKCTL, "serve", "--port", str(port)],
        env=env,
        cwd=db.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    _wait_ready(base, process)
    return base, process


def confirm_body(http: httpx.Client, hour: int) -> dict[str, Any]:
    at = (datetime.now(UTC) + timedelta(days=1)).replace(hour=hour, minute=0, second=0)
    quoted = http.post(
        "/api/quote",
        headers=CUSTOMER,
        json={
            "service_type": "haircut",
            "location": {"latitude": 49.2827, "longitude": -123.1207},
            "date_time": at.replace(microsecond=0).isoformat(),
            "duration_minutes": 60,
        },
    )
    assert quoted.status_code == 201, quoted.text
    q = quoted.json()
    provider = q["candidates"][0]["provider_id"]
    return {"quote_id": q["quote_id"], "provider_id": provider, "payment_method": "pm_card_visa"}


def bookings_in(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM bookings").fetchone()[0])


# The first confirm's transactions are commits 1 (claim) and 2 (work + record completed); the
# second confirm's, 3 and 4: it dies before or after each.
@pytest.mark.parametrize(
    ("crash_at", "first_retry"),
    [
        ("before:3", 201),  # the claim never committed: a clean run at once
        ("after:3", 409),  # the claim committed, the work never started: in progress
        ("before:4", 409),  # the work rolled back with the process: still in progress
        ("after:4", 200),  # the work committed, the 201 never sent: the original answer
    ],
)
def test_a_confirm_killed_at_each_boundary(tmp_path: Path, crash_at: str, first_retry: int) -> None:
    db = tmp_path / "bookiji.db"
    base, process = start(db, crash_at)
    try:
        with httpx.Client(base_url=base, timeout=10) as http:
            kept = http.post(
                "/api/bookings/confirm",
                headers={**CUSTOMER, "Idempotency-Key": "answered"},
                json=confirm_body(http, 18),
            )
            assert kept.status_code == 201, kept.text
            body = confirm_body(http, 20)
            with pytest.raises(httpx.TransportError):
                http.post(
                    "/api/bookings/confirm",
                    headers={**CUSTOMER, "Idempotency-Key": "killed"},
                    json=body,
                )
        assert process.wait(10) == -9  # SIGKILL, at the boundary
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)

    base, process = start(db)
    try:
        with httpx.Client(base_url=base, timeout=10) as http:
            # Nothing answered 201 is lost.
            again = http.get(f"/api/bookings/{kept.json()['booking_id']}", headers=CUSTOMER)
            assert again.status_code == 200, again.text
            retry = http.post(
                "/api/bookings/confirm",
                headers={**CUSTOMER, "Idempotency-Key": "killed"},
                json=body,
            )
            assert retry.status_code == first_retry, retry.text
            if first_retry == 409:
                assert retry.json()["code"] == "idempotency_key_in_progress"
                # The first attempt's lease (30 s) runs out: here, by moving it into the past.
                with sqlite3.connect(db) as conn:
                    conn.execute(
                        "UPDATE idempotency_keys SET locked_until = '2000-01-01 00:00:00' "
                        "WHERE key = 'killed'"
                    )
                retry = http.post(
                    "/api/bookings/confirm",
                    headers={**CUSTOMER, "Idempotency-Key": "killed"},
                    json=body,
                )
                assert retry.status_code == 201, retry.text  # a clean run
            if first_retry == 200:
                assert retry.headers["idempotent-replayed"] == "true"
            replay = http.post(
                "/api/bookings/confirm",
                headers={**CUSTOMER, "Idempotency-Key": "killed"},
                json=body,
            )
            assert replay.status_code == 200
            assert replay.json()["booking_id"] == retry.json()["booking_id"]
        assert bookings_in(db) == 2  # one per key: nothing lost, nothing twice
    finally:
        process.kill()
        process.wait(10)


def test_the_drill_is_inert_unless_set(tmp_path: Path) -> None:
    from bookiji_adapters.sqlalchemy import SqlAlchemyStorage

    storage = SqlAlchemyStorage(f"sqlite:///{tmp_path / 'b.db'}")
    assert storage.unit_of_work()._drill is None
    storage.dispose()
