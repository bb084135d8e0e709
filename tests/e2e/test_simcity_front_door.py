"""SimCity's daemon through the front door (BOOKIJI_SIMCITY_HTTP_URL): its synthetic customers
and vendors call the running service's HTTP API, so the HTTP SLIs count their traffic."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from bookiji_entry.settings import Settings, SettingsError
from tests.e2e.test_bkctl_serve import BKCTL, _wait_ready, free_port

ADMIN = {"Authorization": "Bearer demo-adm_ops"}


def api_requests(base: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for line in httpx.get(f"{base}/metrics", timeout=5).text.splitlines():
        if line.startswith("bookiji_http_requests_total{") and 'route="/api/' in line:
            route = line.split('route="', 1)[1].split('"', 1)[0]
            found[route] = found.get(route, 0.0) + float(line.rsplit(" ", 1)[1])
    return found


def test_synthetic_traffic_over_http_moves_the_http_slis(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKIJI_")}
    env["BOOKIJI_DATABASE_URL"] = f"sqlite:///{tmp_path / 'bookiji.db'}"
    env["BOOKIJI_SIMCITY_HTTP_URL"] = base
    process = subprocess.Popen(
        [BKCTL, "serve", "--port", str(port)], env=env, cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        _wait_ready(base, process)
        before = api_requests(base)
        httpx.post(f"{base}/api/simcity/config", headers=ADMIN, json={"sessions_per_second": 10})
        on = httpx.post(f"{base}/api/simcity/power/on", headers=ADMIN, timeout=30).json()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and api_requests(base).get("/api/quote", 0) < 10:
            time.sleep(0.5)
        off = httpx.post(f"{base}/api/simcity/power/off", headers=ADMIN, timeout=30).json()
        after = api_requests(base)
    finally:
        process.terminate()
        process.wait(15)

    assert on["front_door"] == base
    assert off["counts"].get("quote", 0) >= 10 and off["counts"].get("errors", 0) == 0
    assert after.get("/api/quote", 0) - before.get("/api/quote", 0) >= off["counts"]["quote"]
    assert after.get("/api/bookings/confirm", 0) > before.get("/api/bookings/confirm", 0)


def test_the_setting_must_be_an_http_url() -> None:
    with pytest.raises(SettingsError, match="BOOKIJI_SIMCITY_HTTP_URL"):
        Settings.from_env({"BOOKIJI_SIMCITY_HTTP_URL": "127.0.0.1:8000"})
