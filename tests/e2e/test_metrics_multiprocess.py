"""/metrics stays right under `bkctl serve --workers 2`: whichever worker answers a scrape, it
counts the requests of every worker, the background loops of the parent process, and
short-lived bkctl commands that share the metrics directory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from .conftest import CUSTOMER, bearer, haircut

pytestmark = pytest.mark.slow

BKCTL = [sys.executable, "-m", "bookiji_entry.cli"]
# Tomorrow 18:00 UTC (10:00 in Vancouver): the demo vendors are open then, on the real clock.
TOMORROW = (datetime.now(UTC) + timedelta(days=1)).replace(hour=18, minute=0, second=0)
AT = TOMORROW.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BOOKIJI_") and k.upper() != "PROMETHEUS_MULTIPROC_DIR"
    }
    env.update(
        BOOKIJI_PROFILE="local",
        BOOKIJI_DATABASE_URL=f"sqlite:///{tmp_path / 'bookiji.db'}",
        TMPDIR=str(tmp_path),  # where serve creates its fresh metrics directory
        **extra,
    )
    return env


@contextmanager
def serving(env: dict[str, str], workers: int = 2) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [*BKCTL, "serve", "--workers", str(workers), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "bkctl serve exited"
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "bkctl serve did not come up"
            time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def counted(url: str, name: str, **labels: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and labels.items() <= s.labels.items()
    )


def request(url: str, n: int) -> None:
    # A new connection per request, so the kernel hands them to either worker.
    if n % 3 == 0:
        response = httpx.post(
            f"{url}/api/quote", headers=bearer(CUSTOMER), json=haircut(date_time=AT)
        )
        assert response.status_code in (200, 201), response.text
    elif n % 3 == 1:
        assert httpx.get(f"{url}/api/bookings/bk_{n}", headers=bearer(CUSTOMER)).status_code == 404
    else:
        assert httpx.get(f"{url}/healthz").status_code == 200


def test_the_request_counter_equals_the_requests_made_whichever_worker_answered(
    tmp_path: Path,
) -> None:
    with serving(environment(tmp_path)) as url:
        baseline = counted(url, "bookiji_http_requests_total", route="/healthz")  # readiness
        made = 0
        with ThreadPoolExecutor(max_workers=12) as pool:
            for _round in range(5):
                list(pool.map(lambda n: request(url, n), range(made, made + 60)))
                made += 60
                scraped = [
                    counted(url, "bookiji_http_requests_total", route=r)
                    for r in (
                        "/api/quote",
                        "/api/bookings/{booking_id}",
                    )
                ]
                assert scraped == [made / 3, made / 3]  # every scrape, not only the last
        healthz = counted(url, "bookiji_http_requests_total", route="/healthz")
        durations = counted(url, "bookiji_http_request_duration_seconds_count", route="/api/quote")
        served_by = processes_that_served(tmp_path)

    assert healthz - baseline == made / 3
    assert durations == made / 3
    assert len(served_by) >= 2, f"only {served_by} answered; the scrape merged them anyway"


def processes_that_served(tmp_path: Path) -> set[str]:
    """Pids whose metric file counts HTTP requests (read straight from serve's directory)."""
    (directory,) = tmp_path.glob("bookiji-metrics-*")
    pids = set()
    for path in directory.glob("counter_*.db"):
        for metric in MultiProcessCollector.merge([str(path)], accumulate=False):
            if any(s.name == "bookiji_http_requests_total" and s.value for s in metric.samples):
                pids.add(path.stem.removeprefix("counter_"))
    return pids


def test_the_parents_loops_and_a_short_lived_bkctl_command_report_through_a_shared_directory(
    tmp_path: Path,
) -> None:
    shared = tmp_path / "metrics"
    shared.mkdir()
    env = environment(tmp_path, PROMETHEUS_MULTIPROC_DIR=str(shared))
    with serving(env) as url:
        quoted = httpx.post(
            f"{url}/api/quote", headers=bearer(CUSTOMER), json=haircut(date_time=AT)
        ).json()
        confirmed = httpx.post(
            f"{url}/api/bookings/confirm",
            headers={**bearer(CUSTOMER), "Idempotency-Key": "k-multi"},
            json={
                "quote_id": quoted["quote_id"],
                "provider_id": quoted["candidates"][0]["provider_id"],
                "payment_method": "pm_card_visa",
            },
        )
        assert confirmed.status_code == 201, confirmed.text
        # The relay loop runs in the serve parent process, not in a worker.
        deadline = time.monotonic() + 30
        while not counted(url, "bookiji_outbox_deliveries_total", action="place_hold"):
            assert time.monotonic() < deadline, "the relay never delivered the hold"
            time.sleep(0.5)
        rollback = subprocess.run(
            [*BKCTL, "rollback", "--booking", confirmed.json()["booking_id"], "--wait", "0"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert rollback.returncode == 0, rollback.stderr
        rollbacks = counted(url, "bookiji_rollback_duration_seconds_count")
        writes = counted(url, "bookiji_access_log_writes_total")

    assert rollbacks == 1
    assert writes >= 2  # the confirm (a worker) and the rollback (the bkctl process)
