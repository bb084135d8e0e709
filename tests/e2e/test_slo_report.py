"""`bkctl slo report` against a real served app, and against a real Prometheus scraping it."""

from __future__ import annotations

import json
import math
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from bookiji_adapters.memory import ManualClock, SequentialIds
from bookiji_entry.app import create_app
from bookiji_entry.bootstrap import Services, bootstrap
from bookiji_entry.cli import main
from bookiji_entry.seed import seed_demo
from bookiji_entry.settings import MEMORY_URL, Profile, Settings
from tests.ops.layout import missing

from .conftest import CUSTOMER, NOW, bearer, haircut


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """The app under a real uvicorn server, in a thread, on a free port."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=free_port(), log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def served() -> Iterator[tuple[str, Services]]:
    services = bootstrap(
        Settings(profile=Profile.TEST, database_url=MEMORY_URL),
        clock=ManualClock(NOW),
        ids=SequentialIds(),
    )
    seed_demo(services.uow(), NOW, fixed_tokens=True)
    with serving(create_app(services)) as url:
        yield url, services


def traffic(url: str, quotes: int, misses: int) -> None:
    with httpx.Client(base_url=url) as client:
        for _ in range(quotes):
            response = client.post("/api/quote", headers=bearer(CUSTOMER), json=haircut())
            assert response.status_code in (200, 201), response.text  # 200: a reused quote
        for n in range(misses):
            assert client.get(f"/api/bookings/bk_{n}", headers=bearer(CUSTOMER)).status_code == 404


def report(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["slo", "report", *args, "--json"]) == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


def test_the_report_reads_a_running_service_and_counts_what_it_served(
    served: tuple[str, Services], capsys: pytest.CaptureFixture[str]
) -> None:
    url, _services = served
    traffic(url, quotes=12, misses=3)
    result = report(capsys, "--url", url)

    latency = {item["route"]: item for item in result["latency"]}
    quote = latency["/api/quote"]
    assert quote["requests"] == 12
    assert 0 < quote["p50_seconds"] <= quote["p95_seconds"] <= quote["p99_seconds"]
    assert quote["slo"] == {"p95_seconds": 0.5, "p99_seconds": 1.0}
    assert quote["met"] is True
    assert latency["/api/bookings/{booking_id}"]["requests"] == 3
    assert latency["/api/bookings/{booking_id}"]["slo"] is None
    assert (result["api_requests"], result["api_errors"]) == (15, 0)
    assert result["availability"] == 1.0 and result["error_budget_left"] == 1.0
    assert (result["dlq_depth"], result["double_charged_bookings"]) == (0, 0)
    assert result["all_met"] is True


def test_the_text_report_names_each_sli_and_its_objective(
    served: tuple[str, Services], capsys: pytest.CaptureFixture[str]
) -> None:
    url, _services = served
    traffic(url, quotes=2, misses=0)
    capsys.readouterr()
    assert main(["slo", "report", "--url", url]) == 0
    text = capsys.readouterr().out

    for expected in (
        "/api/quote",
        "P95 ≤ 500 ms, P99 ≤ 1.00 s: ok",
        "Availability (/api/, non-5xx)",
        "Error budget left",
        "DLQ depth",
        "Double-charged bookings",
        "Privacy export P95",
        "Rollback P95",
    ):
        assert expected in text, expected


def test_an_unreachable_service_exits_non_zero_with_a_clear_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"http://127.0.0.1:{free_port()}"

    assert main(["slo", "report", "--url", url, "--timeout", "2"]) == 69  # EX_UNAVAILABLE
    assert f"cannot reach {url}/metrics" in capsys.readouterr().err


def test_a_url_that_is_not_a_bookiji_service_is_refused(
    served: tuple[str, Services], capsys: pytest.CaptureFixture[str]
) -> None:
    url, _services = served

    assert main(["slo", "report", "--url", f"{url}/openapi.json"]) == 1
    assert "openapi.json" in capsys.readouterr().err


PROMETHEUS_CONFIG = """
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: bookiji
    static_configs:
      - targets: ["{target}"]
"""


@contextmanager
def prometheus(tmp_path: Path, target: str) -> Iterator[str]:
    binary = shutil.which("prometheus")
    if binary is None:
        missing("prometheus is not on PATH (apt-get install prometheus)")
    (tmp_path / "prometheus.yml").write_text(PROMETHEUS_CONFIG.replace("{target}", target))
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "prometheus did not become ready"
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def scrapes_with(prom: str, query: str, at_least: float, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = httpx.get(f"{prom}/api/v1/query", params={"query": query}).json()["data"]
        if result["result"] and float(result["result"][0]["value"][1]) >= at_least:
            return
        time.sleep(0.5)
    raise AssertionError(f"{query} never reached {at_least}")


@pytest.mark.slow
def test_the_report_reads_prometheus_and_agrees_with_its_histogram_quantile(
    served: tuple[str, Services], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, _services = served
    with prometheus(tmp_path, url.removeprefix("http://")) as prom:
        # The series (a new quote 201, reused ones 200) exist before the traffic we measure:
        # increase() cannot see the first value of a series.
        traffic(url, quotes=2, misses=1)
        total = 'sum(bookiji_http_requests_total{route="/api/quote"})'
        scrapes_with(prom, total, 2)
        traffic(url, quotes=20, misses=4)
        scrapes_with(prom, total, 22)
        time.sleep(1.5)  # one more scrape, so the window's last sample is after the traffic
        result = report(capsys, "--prometheus", prom, "--window", "5m", "--job", "bookiji")
        promql = (
            "histogram_quantile(0.95, sum by (route, le) ("
            'increase(bookiji_http_request_duration_seconds_bucket{job="bookiji"}[5m])))'
        )
        at = f"{result['evaluated_at']:.3f}"
        theirs = httpx.get(f"{prom}/api/v1/query", params={"query": promql, "time": at}).json()

    ours = {item["route"]: item["p95_seconds"] for item in result["latency"]}
    expected = {r["metric"]["route"]: float(r["value"][1]) for r in theirs["data"]["result"]}
    assert ours["/api/quote"] is not None and ours["/api/bookings/{booking_id}"] is not None
    for route, p95 in expected.items():
        if math.isnan(p95):  # no request of that route within the window
            assert ours[route] is None, route
        else:
            assert ours[route] == pytest.approx(p95, rel=1e-6), route
    assert result["api_requests"] > 0 and result["api_errors"] == 0
    assert result["dlq_depth"] == 0 and result["double_charged_bookings"] == 0


def test_fail_on_breach_exits_1_and_names_the_missed_sli(
    served: tuple[str, Services], capsys: pytest.CaptureFixture[str]
) -> None:
    from bookiji_core.usecases.reconcile import DOUBLE_CHARGES

    url, services = served
    traffic(url, quotes=1, misses=0)
    assert main(["slo", "report", "--url", url, "--fail-on-breach"]) == 0
    with services.uow() as uow:
        uow.controls.set(DOUBLE_CHARGES, "1", NOW)
        uow.commit()
    capsys.readouterr()
    assert main(["slo", "report", "--url", url, "--fail-on-breach"]) == 1
    assert "SLO breached: double charges" in capsys.readouterr().err
