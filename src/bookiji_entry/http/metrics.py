"""GET /metrics: the Prometheus exposition of the whole deployment (docs/metrics.md).

Outside /api/ on purpose: it is for the scraper, not for clients. With a shared multiprocess
directory any worker answers for all processes; the outbox and ledger gauges are read from the
database during the scrape (in the thread pool, like every handler).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from starlette.responses import Response
from starlette.routing import BaseRoute

from bookiji_core.ports import Telemetry
from bookiji_entry.http._io import Call
from bookiji_entry.http._spec import Operation, Reply, bind
from bookiji_entry.problems import problem


@runtime_checkable
class Exposition(Protocol):
    def exposition(self) -> tuple[bytes, str]: ...


def get_metrics(telemetry: Telemetry, _call: Call) -> Response:
    if not isinstance(telemetry, Exposition):  # the no-op telemetry exports nothing
        return problem("not_found", "this process exports no metrics: telemetry is off")
    body, content_type = telemetry.exposition()
    return Response(body, media_type=content_type)


OPERATIONS = (
    Operation(
        "GET",
        "/metrics",
        "metrics",
        "Prometheus metrics of every process of the deployment",
        "operations",
        get_metrics,
        (
            Reply(
                200,
                "Prometheus text exposition format 0.0.4",
                media_type="text/plain",
                schema={"type": "string"},
            ),
        ),
        roles=None,
        problems=(404,),
        description="Names, types and labels: docs/metrics.md.",
    ),
)


def routes(telemetry: Telemetry) -> list[BaseRoute]:
    return bind(OPERATIONS, telemetry)
