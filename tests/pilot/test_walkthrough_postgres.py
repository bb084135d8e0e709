"""docs/pilot.md's walkthrough, step by step, as real processes on PostgreSQL with the production
profile: `bkctl db upgrade`, invitations, the vendor's catalogue and webhook endpoint, `bkctl
serve` (API and workers), a quote and a booking, the vendor's email (aiosmtpd) and signed
webhook (verified with `standardwebhooks`), the vendor's confirm over HTTP, the capture at
Stripe (localstripe) and the receipt."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import httpx
import pytest
from aiosmtpd.controller import Controller
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.contract.test_payment_gateway_contract import _localstripe_card, localstripe_url
from tests.e2e.test_bkctl_serve import BKCTL, _wait_ready, free_port

__all__ = ["localstripe_url"]  # the session fixture, shared with the gateway contract

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

VANCOUVER = ZoneInfo("America/Vancouver")


class Inbox:
    """The pilot's mail server: keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        return [m for rcpt, m in self.messages if address in rcpt]


@attrs.define
class Endpoint:
    """The vendor's webhook endpoint: verifies each delivery with its copy of the secret."""

    url: str = ""
    secret: str = ""
    verified: list[dict[str, Any]] = attrs.field(factory=list)
    rejected: list[str] = attrs.field(factory=list)


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    found, port = Inbox(), free_port()
    controller = Controller(found, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield found, port
    finally:
        controller.stop()


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    found = Endpoint()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # http.server's method name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                found.verified.append(Webhook(found.secret).verify(body, headers))
                status = 204
            except WebhookVerificationError as error:
                found.rejected.append(str(error))
                status = 401
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    found.url = f"http://127.0.0.1:{server.server_address[1]}/bookiji"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


def until(what: str, check: Callable[[], bool], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:g} s: {what}")
        time.sleep(0.2)


def test_from_an_empty_postgresql_to_the_first_real_booking(
    empty_postgres_url: str,
    localstripe_url: str,
    inbox: tuple[Inbox, int],
    endpoint: Endpoint,
    tmp_path: Path,
) -> None:
    mail, smtp_port = inbox
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKIJI_")}
    env.update(
        {
            "BOOKIJI_PROFILE": "production",
            "BOOKIJI_DATABASE_URL": empty_postgres_url,
            "BOOKIJI_AUDIT_KEY": "pilot-walkthrough-audit-key-0123456789",
            "BOOKIJI_STRIPE_API_KEY": "sk_test_walkthrough",
            "BOOKIJI_STRIPE_WEBHOOK_SECRET": "whsec_walkthrough",
            "BOOKIJI_STRIPE_API_BASE": localstripe_url,
            "BOOKIJI_SMTP_HOST": "127.0.0.1",
            "BOOKIJI_SMTP_PORT": str(smtp_port),
            "BOOKIJI_SMTP_FROM": "Bookiji <bookings@bookiji.test>",
            # The vendor's receiver listens on loopback here; production refuses that.
            "BOOKIJI_WEBHOOKS_ALLOW_PRIVATE": "true",
        }
    )

    def bkctl(*argv: str, token: str | None = None) -> dict[str, Any]:
        run_env = env if token is None else {**env, "BOOKIJI_TOKEN": token}
        done = subprocess.run(
            [BKCTL, *argv, "--json"], env=run_env, cwd=tmp_path,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, f"bkctl {' '.join(argv)}:\n{done.stdout}\n{done.stderr}"
        found: dict[str, Any] = json.loads(done.stdout)
        return found

    # 1. The schema.
    upgrade = subprocess.run(
        [BKCTL, "db", "upgrade"], env=env, capture_output=True, text=True, timeout=120
    )
    assert upgrade.returncode == 0, upgrade.stderr
    # 2. People: an admin, a vendor, a customer.
    invite = ("principals", "invite", "--as", "pilot-lead")
    admin = bkctl(*invite, "--role", "admin", "--name", "Ops Lead", "--email", "ops@pilot.test")
    vendor = bkctl(
        *invite, "--role", "vendor", "--name", "Kits Barber Co.", "--email", "kits@pilot.test"
    )
    customer = bkctl(
        *invite, "--role", "customer", "--name", "Avery Chen", "--email", "avery@pilot.test"
    )
    vid, vendor_token, customer_token = vendor["subject_id"], vendor["token"], customer["token"]
    # 3. The vendor's catalogue, with the vendor's own token.
    bkctl("catalogue", "service", vid, "haircut", "--rate", "4500", "--durations", "30,60",
          token=vendor_token)  # fmt: skip
    week = [f"--{d}" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")]
    hours = [arg for day in week for arg in (day, "09:00-17:00")]
    bkctl("catalogue", "hours", vid, "--time-zone", "America/Vancouver", *hours,
          token=vendor_token)  # fmt: skip
    bkctl("catalogue", "location", vid, "--address", "2210 W 4th Ave", "--latitude", "49.2684",
          "--longitude", "-123.1580", "--zone", "Vancouver – Kitsilano",
          token=vendor_token)  # fmt: skip
    # The admin vets the new vendor: quotes take vendors rated 4 or better.
    bkctl("catalogue", "rating", vid, "4.6", token=admin["token"])
    # 4. Where the vendor is told: its signed webhook endpoint (email is the profile's).
    registered = bkctl("channels", "set", vid, "webhook", endpoint.url, "--as", "pilot-lead")
    endpoint.secret = registered["secret"]
    # 5. The service: API and every worker (outbox relay, notifications, auto-cancel, ...).
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [BKCTL, "serve", "--port", str(port)], env=env, cwd=tmp_path, stdout=log, stderr=log
    )
    api = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(api, server, seconds=60)
        # 6. A quote and a booking, as the customer.
        tomorrow = (datetime.now(VANCOUVER) + timedelta(days=1)).date()
        at = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 10, tzinfo=VANCOUVER)
        offer = bkctl("quote", "--service", "haircut", "--lat", "49.2827", "--lon", "-123.1207",
                      "--at", at.astimezone(UTC).isoformat(), "--duration", "60",
                      token=customer_token)  # fmt: skip
        assert [c["provider_id"] for c in offer["candidates"]] == [vid]
        card = _localstripe_card(localstripe_url, "4242424242424242")
        booked = bkctl("book", "--quote", offer["quote_id"], "--provider", vid,
                       "--payment-method", card, "--idempotency-key", "first-booking",
                       token=customer_token)  # fmt: skip
        booking_id = booked["booking_id"]
        # 7. The vendor is told: an email and a signed webhook, both with the deadline.
        until("the vendor's email", lambda: bool(mail.to("kits@pilot.test")))
        until("the vendor's webhook", lambda: bool(endpoint.verified))
        (email,) = mail.to("kits@pilot.test")
        assert booking_id in email["Subject"] and "please confirm by" in email["Subject"]
        (event,) = endpoint.verified
        assert event["type"] == "booking.awaiting_vendor"
        assert event["data"]["booking_id"] == booking_id and event["data"]["confirm_by"]
        assert endpoint.rejected == []
        # 8. The hold is placed at Stripe; the vendor confirms; the fee is captured.
        headers = {"Authorization": f"Bearer {vendor_token}"}

        def held() -> bool:
            shown = bkctl("bookings", "show", booking_id, token=customer_token)
            return bool(shown["payment_status"] == "held")

        until("the $1 hold", held)
        confirmed = httpx.post(f"{api}/api/bookings/{booking_id}/provider-confirm",
                               headers=headers, timeout=10)  # fmt: skip
        assert confirmed.status_code == 200, confirmed.text

        def receipted() -> bool:
            shown = bkctl("bookings", "show", booking_id, token=customer_token)
            return bool(shown["state"] == "receipt_issued")

        until("the capture and the receipt", receipted)
        shown = bkctl("bookings", "show", booking_id, token=customer_token)
        assert shown["payment_status"] == "captured"
        # 9. The customer hears that the vendor confirmed.
        until("the customer's email", lambda: bool(mail.to("avery@pilot.test")))
        (told,) = mail.to("avery@pilot.test")
        assert "confirmed by the vendor" in told["Subject"]
        print(f"\nemails: {[(r, m['Subject']) for r, m in mail.messages]}")
        print(f"webhook verified: {event['type']} {event['data']['booking_id']}")
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
