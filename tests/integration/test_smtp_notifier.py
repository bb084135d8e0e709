"""SmtpNotifier against a real SMTP server (aiosmtpd) on loopback: the email it receives, and
how refusals and an absent server are classified."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from bookiji_adapters.memory import InMemoryStorage, InMemoryTelemetry, ManualClock
from bookiji_adapters.smtp import SmtpNotifier, SmtpSettings
from bookiji_core.errors import DeliveryFailed
from bookiji_core.notifications import Envelope, NotificationState
from bookiji_core.usecases.deliver_notifications import NotificationDelivery
from tests.contract.test_notification_storage_contract import make_notification
from tests.unit.conftest import NOW


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Inbox:
    """An aiosmtpd handler that keeps each message, or answers with `refuse` when set."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self.refuse: str | None = None

    async def handle_RCPT(  # aiosmtpd's hook names
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.refuse is not None:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def notifier(port: int) -> SmtpNotifier:
    return SmtpNotifier(SmtpSettings("127.0.0.1", port, sender="Bookiji <bookings@bookiji.test>"))


def test_the_smtp_server_receives_the_notification_as_an_email(
    smtp_server: tuple[Inbox, int],
) -> None:
    inbox, port = smtp_server
    notification = make_notification(1)

    notifier(port).send(Envelope(notification))

    ((recipients, email),) = inbox.messages
    assert recipients == ["v1@example.test"]
    assert email["To"] == "v1@example.test"
    assert email["From"] == "Bookiji <bookings@bookiji.test>"
    assert email["Subject"] == "Booking bk_1"
    assert email["Message-ID"] == "<ntf_001@bookiji.invalid>"
    assert email["X-Bookiji-Notification"] == "booking.awaiting_vendor"
    assert email.get_payload(decode=True).decode().startswith("Hello Vendor 1,")


def test_a_recipient_the_server_refuses_for_good_is_a_permanent_failure(
    smtp_server: tuple[Inbox, int],
) -> None:
    inbox, port = smtp_server
    inbox.refuse = "550 5.1.1 no such mailbox"

    with pytest.raises(DeliveryFailed) as failed:
        notifier(port).send(Envelope(make_notification(1)))

    assert failed.value.retryable is False
    assert inbox.messages == []


def test_a_server_that_says_try_later_is_a_retryable_failure(
    smtp_server: tuple[Inbox, int],
) -> None:
    inbox, port = smtp_server
    inbox.refuse = "451 4.3.0 mailbox busy"

    with pytest.raises(DeliveryFailed) as failed:
        notifier(port).send(Envelope(make_notification(1)))

    assert failed.value.retryable is True


def test_no_server_listening_is_a_retryable_failure() -> None:
    with pytest.raises(DeliveryFailed) as failed:
        notifier(free_port()).send(Envelope(make_notification(1)))

    assert failed.value.retryable is True


def test_the_delivery_worker_sends_through_smtp_and_retries_when_the_server_comes_back(
    smtp_server: tuple[Inbox, int],
) -> None:
    inbox, port = smtp_server
    storage, clock = InMemoryStorage(), ManualClock(NOW)
    with storage.unit_of_work() as uow:
        uow.notifications.add(make_notification(1))
        uow.commit()
    worker = NotificationDelivery(
        storage.unit_of_work(), notifier(port), clock, InMemoryTelemetry(), owner="w1"
    )
    inbox.refuse = "421 4.7.0 try again later"

    assert worker.run_once().retried == 1
    inbox.refuse = None
    clock.advance(timedelta(seconds=2))
    assert worker.run_once().sent == 1

    with storage.unit_of_work() as uow:
        stored = uow.notifications.get("ntf_001")
    assert stored is not None and stored.state is NotificationState.SENT
    assert len(inbox.messages) == 1
