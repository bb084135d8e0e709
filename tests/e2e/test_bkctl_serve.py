"""A real `bkctl serve` process on SQLite: migrate, seed, quote -> confirm -> replay over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

BKCTL = str(Path(sys.executable).with_name("bkctl"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKIJI_")}
    env["BOOKIJI_DATABASE_URL"] = f"sqlite:///{tmp_path / 'var' / 'bookiji.db'}"
    process = subprocess.Popen(
        [BKCTL, "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        yield base, process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def _wait_ready(base: str, process: subprocess.Popen[str], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"bkctl serve exited early:\n{process.stdout.read()}")  # type: ignore[union-attr]
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("bkctl serve did not become ready in time")


def test_bkctl_serve_books_once_over_real_http_and_stops_cleanly_on_ctrl_c(
    server: tuple[str, subprocess.Popen[str]],
) -> None:
    base, process = server
    customer = {"Authorization": "Bearer demo-cus_01"}  # the local profile's public demo token
    at = (datetime.now(UTC) + timedelta(days=1)).replace(hour=18, minute=0, second=0)
    quote_body = {
        "service_type": "haircut",
        "location": {"latitude": 49.2827, "longitude": -123.1207},
        "date_time": at.replace(microsecond=0).isoformat(),
        "duration_minutes": 60,
    }

    with httpx.Client(base_url=base, timeout=10) as http:
        quoted = http.post("/api/quote", headers=customer, json=quote_body)
        assert quoted.status_code == 201, quoted.text
        q = quoted.json()
        confirm = {
            "quote_id": q["quote_id"],
            "provider_id": q["candidates"][0]["provider_id"],
            "payment_method": "pm_card_visa",
        }
        headers = {**customer, "Idempotency-Key": "serve-test-1"}
        created = http.post("/api/bookings/confirm", headers=headers, json=confirm)
        replayed = http.post("/api/bookings/confirm", headers=headers, json=confirm)
        listed = http.get("/api/bookings", headers=customer)

    assert created.status_code == 201, created.text
    assert replayed.status_code == 200
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == created.json()
    assert [b["booking_id"] for b in listed.json()["bookings"]] == [created.json()["booking_id"]]

    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert "demo-cus_01" in output  # the demo tokens were printed on the empty database
    assert "Application startup complete" in output
    assert "Traceback" not in output


def test_a_restarted_server_keeps_its_data_and_does_not_seed_again(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKIJI_")}
    env["BOOKIJI_DATABASE_URL"] = f"sqlite:///{tmp_path / 'bookiji.db'}"
    outputs, statuses = [], []
    for stop in (signal.SIGINT, signal.SIGTERM):
        port = free_port()
        process = subprocess.Popen(
            [BKCTL, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            _wait_ready(f"http://127.0.0.1:{port}", process)
        finally:
            process.send_signal(stop)
            outputs.append(process.communicate(timeout=20)[0])
            statuses.append(process.returncode)

    assert statuses == [0, 0], outputs  # SIGTERM stops as cleanly as Ctrl-C
    assert "Seeded the demo pilot" in outputs[0]
    assert "Seeded the demo pilot" not in outputs[1]
    assert "Demo data present" in outputs[1]
