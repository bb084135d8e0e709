"""SimCityMapServer: a map service on a loopback port that a test switches between healthy,
slow, failing and down, speaking the API `HttpMapProvider` expects.

    GET /v1/zone?lat=..&lon=..  ->  200 {"zone": "SimCity N49.28 W123.14"}

Modes: `healthy` answers at once; `slow` answers after `slow_seconds` (past the provider's
timeout); `error` answers 500; `down` closes the port, so connections are refused. Switching
back from `down` listens on the same port again.
"""

from __future__ import annotations

import enum
import json
import math
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bookiji_core.errors import DomainError
from bookiji_core.values import Location

# The service names 0.02° cells by their south-west corner. Its own naming, not the fallback
# grid's code: a remote peer shares nothing with the adapters that call it.
CELL_DEGREES = 0.02


def _cell(degrees: float, positive: str, negative: str) -> str:
    corner = math.floor(degrees / CELL_DEGREES) * CELL_DEGREES
    return f"{positive if corner >= 0 else negative}{abs(corner):.2f}"


class MapServerMode(enum.StrEnum):
    HEALTHY = "healthy"
    SLOW = "slow"
    ERROR = "error"
    DOWN = "down"


class SimCityMapServer:
    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, slow_seconds: float = 1.0
    ) -> None:
        self.host = host
        self.port = port
        self.slow_seconds = slow_seconds
        self.mode = MapServerMode.HEALTHY
        self.calls = 0  # zone requests received, whatever the mode answered
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> SimCityMapServer:
        self._listen()
        return self

    def stop(self) -> None:
        self._close()

    def switch(self, mode: MapServerMode | str) -> None:
        mode = MapServerMode(mode)
        with self._lock:
            self.mode = mode
        if mode is MapServerMode.DOWN:
            self._close()
        elif self._server is None:
            self._listen()

    def zone(self, location: Location) -> str:
        return f"SimCity {_cell(location.latitude, 'N', 'S')} {_cell(location.longitude, 'E', 'W')}"

    def __enter__(self) -> SimCityMapServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- the HTTP side -----------------------------------------------------------------------

    def _listen(self) -> None:
        server = _Server((self.host, self.port), _handler_for(self))
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def _close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _answer(self, query: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.calls += 1
            mode = self.mode
        if mode is MapServerMode.SLOW:
            time.sleep(self.slow_seconds)
        if mode is MapServerMode.ERROR:
            return 500, {"error": "simulated map service failure"}
        params = parse_qs(query)
        try:
            location = Location(params["lat"][0], params["lon"][0])
        except (KeyError, IndexError, ValueError, DomainError):
            return 400, {"error": "lat and lon are required decimal degrees"}
        return 200, {"zone": self.zone(location)}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that timed out and hung up is part of the simulation


def _handler_for(owner: SimCityMapServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != "/v1/zone":
                status, body = 404, {"error": "not found"}
            else:
                status, body = owner._answer(parts.query)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
