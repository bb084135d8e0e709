"""Load mode: open loop (a slow server cannot slow the arrivals or hide its latency), loopback
only by default; and bkctl simcity on/status/off/load against a real `bkctl serve`."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bookiji_entry.cli import main
from bookiji_simcity.load import Audience, LoadRefused, ensure_loopback, run_load

BKCTL = str(Path(sys.executable).with_name("bkctl"))
SERVICE_SECONDS = 0.05


def slow_app() -> Starlette:
    """A server that answers every request after 50 ms, one request at a time."""
    lock = asyncio.Lock()

    async def quote(_request: Request) -> JSONResponse:
        async with lock:
            await asyncio.sleep(SERVICE_SECONDS)
        body = {"quote_id": "q_1", "candidates": [{"provider_id": "v1"}]}
        return JSONResponse(body, status_code=201)

    async def confirm(_request: Request) -> JSONResponse:
        async with lock:
            await asyncio.sleep(SERVICE_SECONDS)
        return JSONResponse({"booking_id": "bk_1"}, status_code=201)

    return Starlette(
        routes=[
            Route("/api/quote", quote, methods=["POST"]),
            Route("/api/bookings/confirm", confirm, methods=["POST"]),
        ]
    )


AUDIENCE = Audience(("t",), 10.0, -140.0, 10.0, ("sim-haircut",))


def test_latency_counts_from_the_scheduled_time_so_a_saturated_server_shows_it() -> None:
    # 40 flows/s for 0.5 s against a server that manages ~10 flows/s, one at a time.
    result = asyncio.run(
        run_load(
            "http://127.0.0.1:9",
            AUDIENCE,
            rps=40,
            duration=0.5,
            cap=1,
            transport=httpx.ASGITransport(app=slow_app()),
        )
    )

    quote = result["endpoints"]["quote"]
    assert result["flows"] == 20 and quote["requests"] == 20
    assert result["error_rate"] == 0.0
    # The last flow waited behind ~19 others: about 19 x 100 ms - 475 ms of schedule.
    assert quote["max_ms"] > 1000, quote
    assert quote["p50_ms"] > 5 * SERVICE_SECONDS * 1000, quote
    assert result["cap_waits"] > 0
    assert result["wall_seconds"] >= 1.5  # the arrivals did not wait for the answers


@pytest.mark.parametrize("target", ["http://10.1.2.3:8000", "http://192.0.2.1"])
def test_a_non_loopback_target_is_refused_unless_allowed(target: str) -> None:
    with pytest.raises(LoadRefused, match="loopback"):
        ensure_loopback(target, allow_remote=False)
    ensure_loopback(target, allow_remote=True)


@pytest.mark.parametrize("target", ["http://127.0.0.1:8000", "http://localhost:8000"])
def test_loopback_targets_are_accepted(target: str) -> None:
    ensure_loopback(target, allow_remote=False)


def test_rates_and_durations_are_bounded() -> None:
    with pytest.raises(LoadRefused):
        asyncio.run(run_load("http://127.0.0.1:9", AUDIENCE, rps=10_000, duration=1))
    with pytest.raises(LoadRefused):
        asyncio.run(run_load("http://127.0.0.1:9", AUDIENCE, rps=10, duration=3600))


# -- against a real bkctl serve ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKIJI_")}
    env["BOOKIJI_DATABASE_URL"] = f"sqlite:///{tmp_path / 'bookiji.db'}"
    process = subprocess.Popen(
        [BKCTL, "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "bkctl serve exited early"
            assert time.monotonic() < deadline, "bkctl serve did not become ready"
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def test_bkctl_drives_the_daemon_and_the_load_of_a_running_server(
    server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    def bkctl(*args: str) -> tuple[int, str, str]:
        status = main(list(args))
        out, err = capsys.readouterr()
        return status, out, err

    admin = ["--url", server, "--token", "demo-adm_ops"]
    assert bkctl("simcity", "config", *admin, "--set", "sessions_per_second=20")[0] == 0
    assert bkctl("simcity", "on", *admin)[0] == 0
    time.sleep(1.0)
    status = json.loads(bkctl("simcity", "status", *admin, "--json")[1])
    off = bkctl("simcity", "off", *admin)

    assert status["running"] is True and status["counts"]["sessions"] > 0, status
    assert off[0] == 0 and "SimCity is off" in off[1]

    code, out, err = bkctl(
        "simcity", "load", "--target", server, "--rps", "20", "--duration", "2",
        "--token", "demo-adm_ops", "--json",
    )  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    assert result["flows"] == 40
    assert result["endpoints"]["quote"]["requests"] == 40
    assert result["error_rate"] == 0.0, result

    code, _out, err = bkctl("simcity", "load", "--target", "http://10.1.2.3:8000", "--rps", "1",
                            "--duration", "1", "--token", "x")  # fmt: skip
    assert code == 2 and "loopback" in err
