"""Load mode: drive a running server over HTTP at a fixed arrival rate (open loop).

Flow n is *scheduled* at t0 + n / rps and starts then whatever the server is doing: a slow
server cannot slow the arrivals down, so it cannot hide its latency (no coordinated omission).
Each flow quotes, then confirms the first candidate with a fresh Idempotency-Key. Latency is
measured from the flow's scheduled time for the quote, and from the quote's answer for the
confirm; a flow that had to wait for a free connection (the concurrency cap) carries the
wait in its latency, and the cap is reported when it was hit.
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import random
import socket
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import attrs
import httpx

ENDPOINTS = ("quote", "confirm")
MAX_RPS = 2_000
MAX_DURATION = 600.0


class LoadRefused(ValueError):
    """The load run was refused before it sent anything (bad target, limits)."""


def ensure_loopback(url: str, *, allow_remote: bool) -> None:
    host = urlsplit(url).hostname
    if not host:
        raise LoadRefused(f"the target {url!r} has no host")
    if allow_remote:
        return
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except OSError as error:
        raise LoadRefused(f"cannot resolve {host}: {error}") from None
    if not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise LoadRefused(
            f"{host} is not a loopback address; load mode only targets 127.0.0.1 / ::1 "
            "unless --allow-remote is given"
        )


@attrs.frozen
class Audience:
    """Who the flows act as, and where they ask: from `POST /api/simcity/population`."""

    tokens: tuple[str, ...]
    latitude: float
    longitude: float
    radius_km: float
    service_types: tuple[str, ...]


@attrs.define
class Samples:
    latencies: dict[str, list[float]] = attrs.field(factory=lambda: {e: [] for e in ENDPOINTS})
    statuses: dict[str, Counter[str]] = attrs.field(
        factory=lambda: {e: Counter() for e in ENDPOINTS}
    )
    send_lag: list[float] = attrs.field(factory=list)
    cap_waits: int = 0


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summary(samples: Samples, *, rps: float, duration: float, cap: int) -> dict[str, Any]:
    endpoints = {}
    total = errors = refusals = 0
    for name in ENDPOINTS:
        lat = [v * 1000 for v in samples.latencies[name]]
        statuses = samples.statuses[name]
        count = sum(statuses.values())
        failed = sum(n for s, n in statuses.items() if not s[0].isdigit() or s.startswith("5"))
        refused = sum(n for s, n in statuses.items() if s.startswith("4"))
        total, errors, refusals = total + count, errors + failed, refusals + refused
        endpoints[name] = {
            "requests": count,
            "p50_ms": round(percentile(lat, 0.50), 1),
            "p95_ms": round(percentile(lat, 0.95), 1),
            "p99_ms": round(percentile(lat, 0.99), 1),
            "max_ms": round(max(lat, default=0.0), 1),
            "statuses": dict(sorted(statuses.items())),
            "error_rate": round(failed / count, 4) if count else 0.0,
        }
    lag = [v * 1000 for v in samples.send_lag]
    return {
        "target_rps": rps,
        "duration_s": duration,
        "flows": len(samples.send_lag),
        "endpoints": endpoints,
        "requests": total,
        "error_rate": round(errors / total, 4) if total else 0.0,
        "refusal_rate": round(refusals / total, 4) if total else 0.0,
        "concurrency_cap": cap,
        "cap_waits": samples.cap_waits,
        "generator_lag_p99_ms": round(percentile(lag, 0.99), 1),
    }


class LoadRun:
    """`cap` bounds the flows in flight and the connections (httpx spends more CPU per
    request as its pool grows, and a single-process server gains nothing from hundreds of
    connections); a flow over the cap waits, and its latency keeps counting."""

    def __init__(
        self, client: httpx.AsyncClient, audience: Audience, *, cap: int, seed: int = 1
    ) -> None:
        self._client = client
        self._audience = audience
        self._gate = asyncio.Semaphore(cap)
        self._rng = random.Random(seed)
        self.samples = Samples()

    async def run(self, rps: float, duration: float) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.05
        flows: list[asyncio.Task[None]] = []
        for n in range(int(rps * duration)):
            scheduled = start + n / rps
            delay = scheduled - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            flows.append(asyncio.create_task(self._flow(scheduled, self._body())))
        await asyncio.gather(*flows)

    def _body(self) -> tuple[str, dict[str, Any]]:
        a, rng = self._audience, self._rng
        day = datetime.now(UTC).date() + timedelta(days=rng.randint(1, 7))
        start = datetime(day.year, day.month, day.day, 8, tzinfo=UTC) + timedelta(
            minutes=15 * rng.randrange(44)
        )
        km = a.radius_km / 3
        body = {
            "service_type": rng.choice(a.service_types),
            "location": {
                "latitude": round(a.latitude + rng.uniform(-km, km) / 111.0, 5),
                "longitude": round(a.longitude + rng.uniform(-km, km) / 111.0, 5),
                "radius_km": a.radius_km,
            },
            "date_time": start.isoformat().replace("+00:00", "Z"),
            "duration_minutes": rng.choice([30, 60]),
        }
        return rng.choice(a.tokens), body

    async def _flow(self, scheduled: float, request: tuple[str, dict[str, Any]]) -> None:
        loop = asyncio.get_running_loop()
        # How late the generator itself started the flow (its own saturation), before any
        # wait for the cap (the server's).
        self.samples.send_lag.append(loop.time() - scheduled)
        if self._gate.locked():
            self.samples.cap_waits += 1
        async with self._gate:
            token, body = request
            headers = {"Authorization": f"Bearer {token}"}
            quote = await self._call("quote", "/api/quote", scheduled, headers, body)
            if quote is None or quote.status_code not in (200, 201):
                return
            quoted = quote.json()
            candidates = quoted.get("candidates") or []
            if not candidates:
                return
            confirm_body = {
                "quote_id": quoted["quote_id"],
                "provider_id": candidates[0]["provider_id"],
                "payment_method": "pm_card_visa",
            }
            headers["Idempotency-Key"] = str(uuid.uuid4())
            await self._call("confirm", "/api/bookings/confirm", loop.time(), headers, confirm_body)

    async def _call(
        self, name: str, path: str, since: float, headers: dict[str, str], body: dict[str, Any]
    ) -> httpx.Response | None:
        loop = asyncio.get_running_loop()
        try:
            response = await self._client.post(path, headers=headers, json=body)
        except httpx.HTTPError as error:
            self.samples.statuses[name][type(error).__name__] += 1
            self.samples.latencies[name].append(loop.time() - since)
            return None
        self.samples.latencies[name].append(loop.time() - since)
        self.samples.statuses[name][str(response.status_code)] += 1
        return response


async def run_load(
    target: str,
    audience: Audience,
    *,
    rps: float,
    duration: float,
    cap: int = 64,
    timeout: float = 30.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> dict[str, Any]:
    if not 0 < rps <= MAX_RPS:
        raise LoadRefused(f"--rps must be in (0, {MAX_RPS}]")
    if not 0 < duration <= MAX_DURATION:
        raise LoadRefused(f"--duration must be in (0, {MAX_DURATION:g}] seconds")
    limits = httpx.Limits(max_connections=cap, max_keepalive_connections=cap)
    async with httpx.AsyncClient(
        base_url=target, limits=limits, timeout=timeout, transport=transport
    ) as client:
        run = LoadRun(client, audience, cap=cap)
        began = time.monotonic()
        await run.run(rps, duration)
        elapsed = time.monotonic() - began
    result = summary(run.samples, rps=rps, duration=duration, cap=cap)
    result["wall_seconds"] = round(elapsed, 2)
    return result
