"""GET /metrics: the Prometheus exposition of the whole deployment (docs/metrics.md).

Outside /api/ on purpose: it is for the scraper, not for clients. With a shared multiprocess
directory any worker answers for all processes; the outbox and ledger gauges are read from the
database during the scrape.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bookiji_core.ports import Telemetry
from bookiji_entry.problems import problem


@runtime_checkable
class Exposition(Protocol):
    def exposition(self) -> tuple[bytes, str]: ...


def routes(telemetry: Telemetry) -> list[BaseRoute]:
    async def get_metrics(_request: Request) -> Response:
        if not isinstance(telemetry, Exposition):  # the no-op telemetry exports nothing
            return problem("not_found", "this process exports no metrics: telemetry is off")
        # Reading the multiprocess files and the database blocks: keep it off the event loop.
        body, content_type = await run_in_threadpool(telemetry.exposition)
        return Response(body, media_type=content_type)

    return [Route("/metrics", get_metrics, methods=["GET"])]


OPENAPI_PATHS: dict[str, Any] = {
    "/metrics": {
        "get": {
            "operationId": "metrics",
            "summary": "Prometheus metrics of every process of the deployment",
            "description": "Names, types and labels: docs/metrics.md.",
            "tags": ["operations"],
            "security": [],
            "responses": {
                "200": {
                    "description": "Prometheus text exposition format 0.0.4",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                },
                "404": {"$ref": "#/components/responses/NotFound"},
            },
        }
    }
}
