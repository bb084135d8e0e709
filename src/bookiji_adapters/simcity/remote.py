"""The SimCity payment provider as a tiny HTTP service, and the PaymentGateway client for it.

One provider shared by many processes (several relays, a SIGKILL drill, benchmarks): the
server owns one SimCityPaymentGateway, so its idempotency records and its effect log cover
every caller, as Stripe's do. JSON over `POST /call`; `GET /effects` returns the effect log.

    python -m bookiji_simcity.provider_server --port 8765 --seed 1
"""

from __future__ import annotations

import http.client
import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import attrs

from bookiji_adapters.simcity.payments import Effect, SimCityPaymentGateway
from bookiji_core.errors import PaymentError, PermanentPaymentError, RetryablePaymentError
from bookiji_core.payments import IntentStatus, IntentView, RefundView
from bookiji_core.values import BookingId, Money


def _money(value: dict[str, Any]) -> Money:
    return Money(value["currency"], int(value["amount"]))


def _intent_json(view: IntentView) -> dict[str, Any]:
    return attrs.asdict(view) | {"status": str(view.status)}


def _intent(value: dict[str, Any]) -> IntentView:
    return IntentView(
        id=value["id"],
        booking_id=BookingId(value["booking_id"]) if value["booking_id"] else None,
        status=IntentStatus(value["status"]),
        amount=_money(value["amount"]),
        amount_captured=value["amount_captured"],
        amount_refunded=value["amount_refunded"],
    )


def _dispatch(gateway: SimCityPaymentGateway, op: str, a: dict[str, Any]) -> dict[str, Any]:
    if op == "place_hold":
        view = gateway.place_hold(
            _money(a["amount"]), a["payment_method"], BookingId(a["booking_id"]), a["key"]
        )
    elif op in ("capture", "cancel"):
        view = getattr(gateway, op)(a["intent_id"], a["key"])
    elif op == "refund":
        refund = gateway.refund(a["intent_id"], _money(a["amount"]), a["key"])
        return {"refund": attrs.asdict(refund)}
    elif op == "retrieve":
        view = gateway.retrieve(a["intent_id"])
    elif op == "intents_for_booking":
        found = gateway.intents_for_booking(BookingId(a["booking_id"]))
        return {"intents": [_intent_json(i) for i in found]}
    else:
        raise PermanentPaymentError(f"unknown operation {op}")
    return {"intent": _intent_json(view)}


def make_server(gateway: SimCityPaymentGateway, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        # Keep-alive: a relay's client reuses its connections (every answer has a length)
        # instead of a TCP connection and a server thread per call.
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: without TCP_NODELAY the second waits for
        # the client's delayed ACK (~40 ms) on a kept-alive connection.
        disable_nagle_algorithm = True

        def log_message(self, *_args: Any) -> None:  # quiet: thousands of calls per run
            return None

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body, default=str).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path != "/effects":
                self._send(404, {"error": "not found"})
                return
            with gateway._lock:
                effects = [attrs.asdict(e) for e in gateway.effects]
            self._send(200, {"effects": effects})

        def do_POST(self) -> None:
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            try:
                self._send(200, _dispatch(gateway, request["op"], request["args"]))
            except PaymentError as error:
                status = 503 if error.retryable else 402
                self._send(status, {"error": error.message, "retryable": error.retryable})

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def start_in_thread(gateway: SimCityPaymentGateway, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Serve on a free port in a daemon thread (tests, benchmarks); `server_address` says where."""
    server = make_server(gateway, host, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class RemoteSimCityPaymentGateway:
    """Implements the PaymentGateway port against a SimCity provider server.

    The standard library's http.client, one kept-alive connection per calling thread (the
    relay's calls in flight each have one): a third of the client CPU per call that httpx
    took (`bench/provider_client_cpu.py`), which the relay benchmark measured as much as the
    relay."""

    def __init__(self, base_url: str, *, timeout: float = 8.0) -> None:
        where = urlsplit(base_url)
        if where.scheme != "http" or where.hostname is None:
            raise ValueError(f"the SimCity provider is served over http://, not {base_url!r}")
        self._host, self._port, self._timeout = where.hostname, where.port or 80, timeout
        self._local = threading.local()
        self._opened: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
            self._local.conn = conn
            with self._lock:
                self._opened.append(conn)
        return conn

    def _request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body, headers)
                response = conn.getresponse()
                return response.status, response.read()
            except (OSError, http.client.HTTPException) as error:
                conn.close()
                self._local.conn = None
                # A kept-alive connection the server has dropped fails at once: send again,
                # once, on a new one. Every call that changes anything carries its
                # idempotency key, so a resend cannot act twice (as with Stripe's own retries).
                stale = isinstance(error, ConnectionResetError | BrokenPipeError)
                if attempt == 2 or not stale:
                    raise RetryablePaymentError(
                        f"simcity provider unreachable: {error!r}"
                    ) from error
        raise AssertionError("unreachable")

    def _call(self, op: str, **args: Any) -> dict[str, Any]:
        status, data = self._request("POST", "/call", json.dumps({"op": op, "args": args}).encode())
        try:
            body: dict[str, Any] = json.loads(data)
        except ValueError:
            body = {"error": data.decode(errors="replace")}
        if status == 200:
            return body
        if body.get("retryable", status >= 500):
            raise RetryablePaymentError(body.get("error", f"HTTP {status}"))
        raise PermanentPaymentError(body.get("error", f"HTTP {status}"))

    def place_hold(
        self, amount: Money, payment_method: str, booking_id: BookingId, idempotency_key: str
    ) -> IntentView:
        body = self._call(
            "place_hold",
            amount=attrs.asdict(amount),
            payment_method=payment_method,
            booking_id=booking_id,
            key=idempotency_key,
        )
        return _intent(body["intent"])

    def capture(self, intent_id: str, idempotency_key: str) -> IntentView:
        return _intent(self._call("capture", intent_id=intent_id, key=idempotency_key)["intent"])

    def cancel(self, intent_id: str, idempotency_key: str) -> IntentView:
        return _intent(self._call("cancel", intent_id=intent_id, key=idempotency_key)["intent"])

    def refund(self, intent_id: str, amount: Money, idempotency_key: str) -> RefundView:
        body = self._call(
            "refund", intent_id=intent_id, amount=attrs.asdict(amount), key=idempotency_key
        )["refund"]
        return RefundView(body["id"], body["intent_id"], _money(body["amount"]), body["status"])

    def retrieve(self, intent_id: str) -> IntentView:
        return _intent(self._call("retrieve", intent_id=intent_id)["intent"])

    def intents_for_booking(self, booking_id: BookingId) -> list[IntentView]:
        found = self._call("intents_for_booking", booking_id=booking_id)["intents"]
        return [_intent(i) for i in found]

    def effects(self) -> list[Effect]:
        """The server's effect log (what the provider did, per idempotency key)."""
        status, data = self._request("GET", "/effects")
        if status != 200:
            raise RetryablePaymentError(f"simcity provider: GET /effects answered {status}")
        rows = json.loads(data)["effects"]
        return [
            Effect(
                r["seq"],
                r["idempotency_key"],
                r["operation"],
                r["intent_id"],
                r["amount"],
                datetime.fromisoformat(r["at"]),
            )
            for r in rows
        ]

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()
