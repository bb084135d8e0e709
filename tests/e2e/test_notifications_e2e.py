"""Notifications through the wired service: a confirmed booking's notifications committed with
it, delivered by the `notifications` loop (`bkctl worker notifications`, and `bkctl serve`'s
threads), over memory, SQLite and PostgreSQL; and each profile's notifier."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from bookiji_adapters.memory.notifier import InMemoryNotifier
from bookiji_adapters.routing import ChannelRoutingNotifier
from bookiji_adapters.smtp import SmtpNotifier
from bookiji_adapters.system import SystemClock
from bookiji_adapters.webhooks_out import StandardWebhooksNotifier
from bookiji_core import Actor, ActorType, BookingId
from bookiji_core.notifications import Channel, NotificationKind, NotificationState
from bookiji_core.usecases.notify import enqueue_notifications
from bookiji_entry.bootstrap import Services
from bookiji_entry.bootstrap import loops as all_loops
from bookiji_entry.cli import main
from bookiji_entry.notifications import notifier_for
from bookiji_entry.settings import Profile, Settings, SettingsError

from .conftest import confirm, quote


def recorder(services: Services) -> InMemoryNotifier:
    assert isinstance(services.notifier, ChannelRoutingNotifier)
    found = services.notifier.for_channel(Channel.EMAIL)
    assert isinstance(found, InMemoryNotifier)
    return found


def confirmed_booking(client: TestClient) -> BookingId:
    response = confirm(client, quote(client), "k-notify")
    assert response.status_code == 201, response.text
    return BookingId(response.json()["booking_id"])


def test_notifications_is_one_of_the_background_loops(services: Services) -> None:
    assert "notifications" in {loop.name for loop in all_loops(services)}


def test_a_booking_waiting_for_its_vendor_is_delivered_to_the_vendor_by_the_loop(
    services: Services, client: TestClient
) -> None:
    booking_id = confirmed_booking(client)  # the confirm queued the vendor's notification
    with services.uow() as uow:
        booking = uow.bookings.get(booking_id)
        assert booking is not None
        # Queuing the same change again (a retried producer) adds nothing.
        enqueue_notifications(
            uow,
            booking,
            NotificationKind.AWAITING_VENDOR,
            services.clock.now(),
            actor=Actor(ActorType.CUSTOMER, booking.customer_id),
        )
        uow.commit()
    (loop,) = [loop for loop in all_loops(services) if loop.name == "notifications"]

    report = loop.tick()

    assert getattr(report, "sent", None) == 1
    told = {e.recipient.principal_id: e for e in recorder(services).sent}
    assert set(told) == {booking.vendor_id}
    assert "please confirm by" in told[booking.vendor_id].notification.content.subject
    with services.uow() as uow:
        states = {n.state for n in uow.notifications.for_booking(booking_id)}
    assert states == {NotificationState.SENT}


def test_bkctl_worker_notifications_once_runs_one_pass(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["worker", "notifications", "--once"], services=services)

    out, _ = capsys.readouterr()
    assert status == 0
    assert out.startswith("notifications: DeliveryReport(claimed=0")


def test_the_local_profile_sends_email_over_smtp_when_a_host_is_set_and_webhooks_signed() -> None:
    settings = Settings.from_env(
        {"BOOKIJI_SMTP_HOST": "127.0.0.1", "BOOKIJI_SMTP_PORT": "2525", "BOOKIJI_SMTP_FROM": "x@y"}
    )
    notifier = notifier_for(settings, SystemClock())

    assert (settings.smtp_host, settings.smtp_port, settings.smtp_from) == (
        "127.0.0.1",
        2525,
        "x@y",
    )
    assert isinstance(notifier.for_channel(Channel.EMAIL), SmtpNotifier)
    assert isinstance(notifier.for_channel(Channel.WEBHOOK), StandardWebhooksNotifier)


def test_without_an_smtp_host_production_has_no_email_route_and_local_records_emails() -> None:
    production = Settings(profile=Profile.PRODUCTION, database_url="postgresql://db/bookiji")
    local = Settings(profile=Profile.LOCAL)

    assert notifier_for(production, SystemClock()).for_channel(Channel.EMAIL) is None
    assert isinstance(
        notifier_for(local, SystemClock()).for_channel(Channel.EMAIL), InMemoryNotifier
    )


def test_a_bad_smtp_port_is_refused_at_start() -> None:
    with pytest.raises(SettingsError, match="BOOKIJI_SMTP_PORT"):
        Settings.from_env({"BOOKIJI_SMTP_PORT": "smtp"})
