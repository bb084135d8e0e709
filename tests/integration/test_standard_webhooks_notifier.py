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
    found = StandardWebhooksNotifier(SystemClock(), timeout=5.0)
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
