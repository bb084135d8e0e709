"""Admission control: beyond the bound of requests in flight a process answers a fast 503
`overloaded` with Retry-After, counted; a confirm may use the reserve; probes never wait."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bookiji_adapters.memory import InMemoryTelemetry
from bookiji_entry.http.admission import Admission
from bookiji_entry.settings import Settings, SettingsError


class Held:
    """An ASGI app that answers 200 only once released: its requests stay in flight."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.entered = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.entered += 1
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


async def call(
    app: Any, path: str, headers: tuple[tuple[bytes, bytes], ...] = ()
) -> dict[str, Any]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "headers": list(headers)}
    await app(scope, receive, send)
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return {"status": start["status"], "headers": dict(start["headers"]), "body": body}


async def _scenario() -> None:
    telemetry, inner = InMemoryTelemetry(), Held()
    app = Admission(inner, telemetry, max_in_flight=4)
    admitted = [asyncio.create_task(call(app, "/api/quote")) for _ in range(4)]
    await asyncio.sleep(0)
    assert inner.entered == 4

    refused = await call(app, "/api/quote")
    assert refused["status"] == 503
    assert refused["headers"][b"retry-after"] == b"1"
    assert json.loads(refused["body"])["code"] == "overloaded"
    assert telemetry.counts[("overloaded", "in_flight")] == 1
    assert inner.entered == 4  # refused before the app saw it

    # A confirm finishes a flow already started: it may use the reserve (a quarter: 1).
    key = ((b"idempotency-key", b"k1"),)
    confirm = asyncio.create_task(call(app, "/api/bookings/confirm", key))
    await asyncio.sleep(0)
    assert inner.entered == 5
    assert (await call(app, "/api/bookings/confirm", key))["status"] == 503
    # Probes are never refused.
    probe = asyncio.create_task(call(app, "/healthz"))
    await asyncio.sleep(0)
    assert inner.entered == 6

    inner.release.set()
    answers = await asyncio.gather(*admitted, confirm, probe)
    assert [a["status"] for a in answers] == [200] * 6
    assert app.in_flight == 0
    assert (await call(app, "/api/quote"))["status"] == 200  # room again once they finished
    assert telemetry.counts[("overloaded", "in_flight")] == 2


def test_beyond_the_bound_a_fast_503_with_retry_after_counted_a_confirm_uses_the_reserve() -> None:
    asyncio.run(_scenario())


def test_no_bound_admits_everything() -> None:
    async def scenario() -> None:
        inner = Held()
        app = Admission(inner, InMemoryTelemetry(), max_in_flight=0)
        tasks = [asyncio.create_task(call(app, "/api/quote")) for _ in range(50)]
        await asyncio.sleep(0)
        assert inner.entered == 50
        inner.release.set()
        assert {a["status"] for a in await asyncio.gather(*tasks)} == {200}

    asyncio.run(scenario())


def test_the_bound_is_a_setting_and_bad_values_are_refused() -> None:
    assert Settings.from_env({"BOOKIJI_MAX_IN_FLIGHT": "12"}).max_in_flight == 12
    assert Settings.from_env({}).max_in_flight == 24
    for bad in ("-1", "many"):
        try:
            Settings.from_env({"BOOKIJI_MAX_IN_FLIGHT": bad})
        except SettingsError as error:
            assert "BOOKIJI_MAX_IN_FLIGHT" in str(error)
        else:
            raise AssertionError(f"{bad!r} was accepted")
