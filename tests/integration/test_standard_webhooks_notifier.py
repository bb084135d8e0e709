"""StandardWebhooksNotifier against a real HTTP receiver on loopback that verifies each
delivery with the `standardwebhooks` package, as a vendor would."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from bookiji_adapters.memory import InMemoryStorage, InMemoryTelemetry
from bookiji_adapters.system import SystemClock
from bookiji_adapters.webhooks_out import StandardWebhooksNotifier, new_secret
from bookiji_core.errors import DeliveryFailed
from bookiji_core.notifications import Channel, Envelope, Notification, NotificationState
from bookiji_core.usecases.deliver_notifications import NotificationDelivery
from bookiji_core.usecases.notify import set_channel
from bookiji_entry.settings import Settings, SettingsError
from tests.contract.test_notification_storage_contract import make_notification
from tests.unit.conftest import make_vendor


@attrs.define
class Receiver:
    """A vendor's endpoint: verifies the signature with the vendor's copy of the secret and
    answers `status` (or 401 when the signature does not verify)."""

    secret: str
    url: str = ""
    status: int = 204
    verified: list[tuple[dict[str, str], Any]] = attrs.field(factory=list)
    rejected: list[str] = attrs.field(factory=list)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # http.server's method name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                payload = Webhook(receiver.secret).verify(body, headers)
            except WebhookVerificationError as error:
                receiver.rejected.append(str(error))
                status = 401
            else:
                receiver.verified.append((headers, payload))
                status = receiver.status
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver(new_secret())
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(found))
    found.url = f"http://127.0.0.1:{server.server_address[1]}/bookiji"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


def to_endpoint(url: str, n: int = 1) -> Notification:
    notification = make_notification(n)
    recipient = attrs.evolve(notification.recipient, channel=Channel.WEBHOOK, address=url)
    return attrs.evolve(notification, recipient=recipient)


@contextlib.contextmanager
def socket_closed_port() -> Iterator[int]:
    """A loopback port that was free a moment ago (nothing listens on it once closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


@pytest.fixture
def notifier() -> Iterator[StandardWebhooksNotifier]:
    # The receivers of these tests listen on loopback, which only this setting allows.
    found = StandardWebhooksNotifier(SystemClock(), timeout=5.0, allow_private=True)
    yield found
    found.close()


def test_the_vendors_receiver_verifies_the_delivery_with_the_standardwebhooks_library(
    receiver: Receiver, notifier: StandardWebhooksNotifier
) -> None:
    notification = to_endpoint(receiver.url)

    notifier.send(Envelope(notification, receiver.secret))

    ((headers, payload),) = receiver.verified
    assert headers["webhook-id"] == "ntf_001"
    assert headers["webhook-signature"].startswith("v1,")
    assert headers["content-type"] == "application/json"
    assert payload == json.loads(notification.content.payload_json)


def test_a_delivery_signed_with_another_secret_is_rejected_by_the_receiver(
    receiver: Receiver, notifier: StandardWebhooksNotifier
) -> None:
    with pytest.raises(DeliveryFailed) as failed:
        notifier.send(Envelope(to_endpoint(receiver.url), new_secret()))

    assert receiver.verified == [] and receiver.rejected == ["No matching signature found"]
    assert failed.value.retryable is False  # a 401 needs a person: the secrets differ


@pytest.mark.parametrize(
    ("status", "retryable"), [(500, True), (503, True), (429, True), (410, False), (400, False)]
)
def test_an_endpoints_error_status_is_retryable_only_when_trying_again_can_help(
    receiver: Receiver, notifier: StandardWebhooksNotifier, status: int, retryable: bool
) -> None:
    receiver.status = status

    with pytest.raises(DeliveryFailed) as failed:
        notifier.send(Envelope(to_endpoint(receiver.url), receiver.secret))

    assert failed.value.retryable is retryable
    assert str(status) in failed.value.message


def test_an_endpoint_nobody_listens_on_is_a_retryable_failure(
    notifier: StandardWebhooksNotifier,
) -> None:
    with socket_closed_port() as port:
        url = f"http://127.0.0.1:{port}/bookiji"
    with pytest.raises(DeliveryFailed) as failed:
        notifier.send(Envelope(to_endpoint(url), new_secret()))

    assert failed.value.retryable is True


def test_a_redelivery_after_a_failure_carries_the_same_webhook_id_and_verifies_again(
    receiver: Receiver, notifier: StandardWebhooksNotifier
) -> None:
    storage, clock = InMemoryStorage(), SystemClock()
    with storage.unit_of_work() as uow:
        uow.vendors.add(make_vendor(1))
        now = clock.now()  # the receiver checks timestamps against its own clock
        uow.notifications.add(
            attrs.evolve(to_endpoint(receiver.url), created_at=now, next_attempt_at=now)
        )
        uow.commit()
    set_channel(
        storage.unit_of_work(),
        "v1",
        Channel.WEBHOOK,
        receiver.url,
        clock.now(),
        secret=receiver.secret,
    )
    worker = NotificationDelivery(
        storage.unit_of_work(), notifier, clock, InMemoryTelemetry(), owner="w1"
    )
    receiver.status = 503
    assert worker.run_once().retried == 1
    receiver.status = 200
    with storage.unit_of_work() as uow:  # due now, instead of waiting for the backoff
        stored = uow.notifications.get("ntf_001")
        assert stored is not None
        uow.notifications.update(attrs.evolve(stored, next_attempt_at=clock.now()))
        uow.commit()
    assert worker.run_once().sent == 1

    ids = [headers["webhook-id"] for headers, _ in receiver.verified]
    assert ids == ["ntf_001", "ntf_001"]
    with storage.unit_of_work() as uow:
        final = uow.notifications.get("ntf_001")
        log = uow.notifications.attempts_of("ntf_001")
    assert final is not None and final.state is NotificationState.SENT
    assert [a.detail for a in log] == ["endpoint answered 503", "accepted"]


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "192.168.0.9", "169.254.169.254", "100.64.0.1", "::1", "fd00::1"],
)
def test_by_default_an_endpoint_on_a_non_public_address_is_refused_and_nothing_is_sent(
    receiver: Receiver, address: str
) -> None:
    """The name resolves (here, by a stand-in resolver) to an address of our own network:
    refused for good before any connection, so the receiver hears nothing."""
    guarded = StandardWebhooksNotifier(
        SystemClock(), timeout=5.0, resolver=lambda _host, _port: ["93.184.216.34", address]
    )
    try:
        with pytest.raises(DeliveryFailed) as refused:
            guarded.send(Envelope(to_endpoint(receiver.url), receiver.secret))
    finally:
        guarded.close()
    assert not refused.value.retryable
    assert f"resolves to {address}" in str(refused.value)
    assert receiver.verified == [] and receiver.rejected == []


def test_the_real_resolver_refuses_a_loopback_receiver_and_a_public_address_is_let_through(
    receiver: Receiver,
) -> None:
    guarded = StandardWebhooksNotifier(SystemClock(), timeout=5.0)
    try:
        with pytest.raises(DeliveryFailed, match=r"resolves to 127\.0\.0\.1"):
            guarded.send(Envelope(to_endpoint(receiver.url), receiver.secret))
        # Told the name is public, the same notifier sends (to the loopback receiver).
        public = StandardWebhooksNotifier(
            SystemClock(), timeout=5.0, resolver=lambda _host, _port: ["93.184.216.34"]
        )
        public.send(Envelope(to_endpoint(receiver.url), receiver.secret))
        public.close()
    finally:
        guarded.close()
    assert len(receiver.verified) == 1


def test_a_name_that_does_not_resolve_is_retried_and_a_non_http_url_is_refused(
    receiver: Receiver,
) -> None:
    def unresolvable(_host: str, _port: int) -> list[str]:
        raise socket.gaierror("temporary failure in name resolution")

    guarded = StandardWebhooksNotifier(SystemClock(), timeout=5.0, resolver=unresolvable)
    try:
        with pytest.raises(DeliveryFailed) as later:
            guarded.send(Envelope(to_endpoint("https://vendor.example/hook"), receiver.secret))
        assert later.value.retryable
        with pytest.raises(DeliveryFailed) as never:
            guarded.send(Envelope(to_endpoint("file:///etc/passwd"), receiver.secret))
        assert not never.value.retryable
    finally:
        guarded.close()


PRODUCTION = {
    "BOOKIJI_PROFILE": "production",
    "BOOKIJI_AUDIT_KEY": "k" * 32,
    "BOOKIJI_STRIPE_API_KEY": "sk_test_x",
    "BOOKIJI_STRIPE_WEBHOOK_SECRET": "whsec_x",
    "BOOKIJI_DATABASE_URL": "postgresql://bookiji@db.internal/bookiji",
}


@pytest.mark.parametrize(
    ("environ", "allowed"),
    [
        (PRODUCTION, False),
        ({"BOOKIJI_PROFILE": "local"}, True),
        ({"BOOKIJI_PROFILE": "test"}, True),
        ({**PRODUCTION, "BOOKIJI_WEBHOOKS_ALLOW_PRIVATE": "true"}, True),
        ({"BOOKIJI_PROFILE": "local", "BOOKIJI_WEBHOOKS_ALLOW_PRIVATE": "no"}, False),
    ],
)
def test_production_refuses_private_endpoints_unless_told_and_other_profiles_allow_them(
    environ: dict[str, str], allowed: bool
) -> None:
    assert Settings.from_env(environ).webhooks_allow_private is allowed


def test_a_setting_that_is_not_a_boolean_is_refused() -> None:
    with pytest.raises(SettingsError, match="BOOKIJI_WEBHOOKS_ALLOW_PRIVATE"):
        Settings.from_env({"BOOKIJI_WEBHOOKS_ALLOW_PRIVATE": "maybe"})
