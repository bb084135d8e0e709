"""An open-loop client for the A/B harness: arrivals on a fixed schedule, no connection cap.

Flow n starts at t0 + n / rate whatever the server does. Each flow opens its own connection
(no pool, so no cap that would hide queueing: a slow server sees the connections pile up),
quotes, then confirms the first candidate with a fresh Idempotency-Key on the same
connection. The quote's latency counts from the flow's scheduled start, the confirm's from
the moment it was sent. The run is bounded: every flow still unanswered `grace` seconds after
the last arrival is cut and counted as a timeout, its latency the time it waited.

HTTP/1.1 over asyncio streams, by hand: a pooled client library spends more CPU per request
than the server under test, on the same two cores.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from bookiji_simcity.load import Audience  # who the flows act as, and where they ask

ENDPOINTS = ("quote", "confirm")


@attrs.define
class Samples:
    latencies: dict[str, list[float]] = attrs.field(factory=lambda: {e: [] for e in ENDPOINTS})
    statuses: dict[str, Counter[str]] = attrs.field(
        factory=lambda: {e: Counter() for e in ENDPOINTS}
    )
    send_lag: list[float] = attrs.field(factory=list)
    flows_done: int = 0


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def post(self, path: str, headers: dict[str, str], body: Any) -> tuple[int, bytes]:
        payload = json.dumps(body).encode()
        lines = [
            f"POST {path} HTTP/1.1",
            "Host: 127.0.0.1",
            "Content-Type: application/json",
            f"Content-Length: {len(payload)}",
        ]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        fields = {}
        for line in header_lines:
            if ":" in line:
                name, value = line.split(":", 1)
                fields[name.strip().lower()] = value.strip()
        if fields.get("transfer-encoding") == "chunked":
            data = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                data += (await self.reader.readexactly(size + 2))[:size]
                if size == 0:
                    return status, data
        return status, await self.reader.readexactly(int(fields.get("content-length", "0")))

    def close(self) -> None:
        self.writer.close()


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(max(1, math.ceil(fraction * len(ordered))), len(ordered)) - 1]


class OpenLoop:
    def __init__(self, host: str, port: int, audience: Audience, *, seed: int = 1) -> None:
        self.host, self.port, self.audience = host, port, audience
        self.rng = random.Random(seed)
        self.samples = Samples()

    def body(self) -> tuple[str, dict[str, Any]]:
        a, rng = self.audience, self.rng
        day = datetime.now(UTC).date() + timedelta(days=rng.randint(1, 7))
        start = datetime(day.year, day.month, day.day, 8, tzinfo=UTC) + timedelta(
            minutes=15 * rng.randrange(44)
        )
        km = a.radius_km / 3
        return rng.choice(a.tokens), {
            "service_type": rng.choice(a.service_types),
            "location": {
                "latitude": round(a.latitude + rng.uniform(-km, km) / 111.0, 5),
                "longitude": round(a.longitude + rng.uniform(-km, km) / 111.0, 5),
                "radius_km": a.radius_km,
            },
            "date_time": start.isoformat().replace("+00:00", "Z"),
            "duration_minutes": rng.choice([30, 60]),
        }

    async def run(self, rate: float, duration: float, grace: float) -> float:
        """Run the schedule; the wall time from the first arrival to the last answer (or cut)."""
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.05
        flows = []
        for n in range(int(rate * duration)):
            scheduled = start + n / rate
            delay = scheduled - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            flows.append(asyncio.create_task(self.flow(scheduled, self.body())))
        deadline = start + duration + grace
        _done, pending = await asyncio.wait(flows, timeout=max(0.0, deadline - loop.time()))
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        return loop.time() - start

    async def flow(self, scheduled: float, request: tuple[str, dict[str, Any]]) -> None:
        loop = asyncio.get_running_loop()
        self.samples.send_lag.append(loop.time() - scheduled)
        token, body = request
        headers = {"Authorization": f"Bearer {token}"}
        conn: Connection | None = None
        stage, since = "quote", scheduled
        try:
            conn = Connection(*await asyncio.open_connection(self.host, self.port))
            status, data = await conn.post("/api/quote", headers, body)
            self._record("quote", str(status), loop.time() - since)
            if status not in (200, 201):
                return
            quoted = json.loads(data)
            if not quoted.get("candidates"):
                return
            stage, since = "confirm", loop.time()
            headers["Idempotency-Key"] = str(uuid.uuid4())
            status, _ = await conn.post(
                "/api/bookings/confirm",
                headers,
                {
                    "quote_id": quoted["quote_id"],
                    "provider_id": quoted["candidates"][0]["provider_id"],
                    "payment_method": "pm_card_visa",
                },
            )
            self._record("confirm", str(status), loop.time() - since)
            if status < 500:  # booked, or a clean refusal (slot taken): the flow is served
                self.samples.flows_done += 1
        except asyncio.CancelledError:
            self._record(stage, "timeout", loop.time() - since)
            raise
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            self._record(stage, type(error).__name__, loop.time() - since)
        finally:
            if conn is not None:
                conn.close()

    def _record(self, name: str, status: str, seconds: float) -> None:
        self.samples.latencies[name].append(seconds)
        self.samples.statuses[name][status] += 1


def summarise(samples: Samples, *, rate: float, duration: float, wall: float) -> dict[str, Any]:
    endpoints = {}
    for name in ENDPOINTS:
        lat = [v * 1000 for v in samples.latencies[name]]
        statuses = samples.statuses[name]
        count = sum(statuses.values())
        ok = sum(n for s, n in statuses.items() if s in ("200", "201"))
        endpoints[name] = {
            "requests": count,
            "ok": ok,
            "p50_ms": round(percentile(lat, 0.50), 1),
            "p95_ms": round(percentile(lat, 0.95), 1),
            "p99_ms": round(percentile(lat, 0.99), 1),
            "max_ms": round(max(lat, default=0.0), 1),
            "statuses": dict(sorted(statuses.items())),
        }
    errors = sum(
        n
        for e in ENDPOINTS
        for s, n in samples.statuses[e].items()
        if not s.isdigit() or s.startswith("5")
    )
    return {
        "rate": rate,
        "duration_s": duration,
        "arrivals": len(samples.send_lag),
        "flows_done": samples.flows_done,
        "errors": errors,
        "wall_s": round(wall, 2),
        "goodput_per_s": round(samples.flows_done / wall, 1) if wall else 0.0,
        "generator_lag_p99_ms": round(percentile([v * 1000 for v in samples.send_lag], 0.99), 1),
        "endpoints": endpoints,
    }


async def drive(
    host: str, port: int, audience: Audience, *, rate: float, duration: float, grace: float
) -> dict[str, Any]:
    client = OpenLoop(host, port, audience)
    began = time.process_time()
    wall = await client.run(rate, duration, grace)
    result = summarise(client.samples, rate=rate, duration=duration, wall=wall)
    result["client_cpu_s"] = round(time.process_time() - began, 2)
    return result
