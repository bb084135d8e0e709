"""Which booking changes queue which notifications, for whom, saying what; and opt-outs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bookiji_adapters.memory import InMemoryStorage
from bookiji_core import Actor, ActorType, Customer, CustomerId
from bookiji_core.errors import InvalidInput
from bookiji_core.notifications import Channel, NotificationKind, NotificationState, Role
from bookiji_core.privacy import SubjectKind, Tombstone
from bookiji_core.usecases.notify import (
    enqueue_for_changes,
    enqueue_notifications,
    set_channel,
    set_opt_out,
)
from tests.contract.test_storage_contract import make_booking
from tests.unit.conftest import NOW, make_vendor

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def storage() -> InMemoryStorage:
    storage = InMemoryStorage()
    with storage.unit_of_work() as uow:
        uow.vendors.add(make_vendor(1))
        uow.customers.add(Customer(CustomerId("c1"), "Alice Example", "alice@example.test", "+1"))
        uow.bookings.add(make_booking(1))
        uow.commit()
    return storage


def enqueue(storage: InMemoryStorage, kind: NotificationKind) -> None:
    with storage.unit_of_work() as uow:
        booking = uow.bookings.get(make_booking(1).id)
        assert booking is not None
        enqueue_notifications(uow, booking, kind, NOW)
        uow.commit()


def queued(storage: InMemoryStorage) -> list[tuple[str, str, str]]:
    with storage.unit_of_work() as uow:
        found = uow.notifications.for_booking(make_booking(1).id)
    return [(n.recipient.principal_id, n.recipient.channel, n.recipient.address) for n in found]


def test_a_booking_waiting_for_the_vendor_tells_the_vendor_its_deadline_and_the_customer(
    storage: InMemoryStorage,
) -> None:
    enqueue(storage, NotificationKind.AWAITING_VENDOR)

    with storage.unit_of_work() as uow:
        found = {n.recipient.role: n for n in uow.notifications.for_booking(make_booking(1).id)}
    vendor, customer = found[Role.VENDOR], found[Role.CUSTOMER]
    deadline = (NOW + timedelta(minutes=15)).isoformat().replace("+00:00", "Z")
    assert vendor.recipient.address == "v1@example.test"
    assert deadline in vendor.content.subject and deadline in vendor.content.body
    assert vendor.content.payload["type"] == "booking.awaiting_vendor"
    assert vendor.content.payload["data"]["confirm_by"] == deadline
    assert customer.recipient.address == "alice@example.test"
    assert customer.content.body.startswith("Hello Alice Example,")
    assert {vendor.state, customer.state} == {NotificationState.QUEUED}


def test_a_vendor_is_never_told_the_customers_name_or_contact(storage: InMemoryStorage) -> None:
    for kind in NotificationKind:
        enqueue(storage, kind)

    with storage.unit_of_work() as uow:
        to_vendor = [n for n in uow.notifications.for_principal("v1")]
    # every change but the refund, which is the customer's business; and the confirm reminder
    assert len(to_vendor) == 6
    for n in to_vendor:
        text = n.content.subject + n.content.body + n.content.payload_json
        assert "Alice" not in text and "alice@" not in text and "+1" not in text


def test_the_customer_hears_of_all_but_the_reminder_the_vendor_of_all_but_the_refund(
    storage: InMemoryStorage,
) -> None:
    for kind in NotificationKind:
        enqueue(storage, kind)

    with storage.unit_of_work() as uow:
        to_customer = {n.kind for n in uow.notifications.for_principal("c1")}
        to_vendor = {n.kind for n in uow.notifications.for_principal("v1")}
    assert to_customer == set(NotificationKind) - {NotificationKind.CONFIRM_REMINDER}
    assert to_vendor == set(NotificationKind) - {NotificationKind.REFUNDED}


def test_queuing_the_same_change_twice_adds_nothing(storage: InMemoryStorage) -> None:
    enqueue(storage, NotificationKind.CONFIRMED)
    enqueue(storage, NotificationKind.CONFIRMED)

    assert len(queued(storage)) == 2


def test_a_change_that_rolls_back_leaves_no_notification(storage: InMemoryStorage) -> None:
    with storage.unit_of_work() as uow:
        booking = uow.bookings.get(make_booking(1).id)
        assert booking is not None
        booking.cancel(Actor(ActorType.CUSTOMER, "c1"), NOW, "changed my mind")
        uow.bookings.update(booking)
        enqueue_notifications(uow, booking, NotificationKind.CANCELLED, NOW)
        # The transaction fails before its commit.

    assert queued(storage) == []
    with storage.unit_of_work() as uow:
        assert uow.access_log.for_subject("c1") == []


def test_reading_a_persons_address_to_notify_them_is_in_the_access_log(
    storage: InMemoryStorage,
) -> None:
    enqueue(storage, NotificationKind.CONFIRMED)

    with storage.unit_of_work() as uow:
        entries = uow.access_log.for_subject("v1")
    assert [(e.actor_id, e.purpose) for e in entries] == [("notifier", "notification")]


def test_a_person_who_opted_out_of_email_gets_no_email(storage: InMemoryStorage) -> None:
    set_opt_out(storage.unit_of_work(), "v1", Channel.EMAIL, True, NOW)
    enqueue(storage, NotificationKind.AWAITING_VENDOR)

    assert queued(storage) == [("c1", "email", "alice@example.test")]


def test_opting_back_in_restores_the_channel(storage: InMemoryStorage) -> None:
    set_opt_out(storage.unit_of_work(), "v1", Channel.EMAIL, True, NOW)
    set_opt_out(storage.unit_of_work(), "v1", Channel.EMAIL, False, NOW)
    enqueue(storage, NotificationKind.AWAITING_VENDOR)

    assert ("v1", "email", "v1@example.test") in queued(storage)


def test_a_vendor_with_a_webhook_endpoint_is_told_there_as_well(storage: InMemoryStorage) -> None:
    set_channel(
        storage.unit_of_work(),
        "v1",
        Channel.WEBHOOK,
        "https://v1.example.test/h",
        NOW,
        secret=SECRET,
    )
    set_channel(storage.unit_of_work(), "v1", Channel.EMAIL, "bookings@v1.example.test", NOW)
    enqueue(storage, NotificationKind.AWAITING_VENDOR)

    assert sorted(queued(storage)) == [
        ("c1", "email", "alice@example.test"),
        ("v1", "email", "bookings@v1.example.test"),
        ("v1", "webhook", "https://v1.example.test/h"),
    ]


@pytest.mark.parametrize(
    ("channel", "address", "secret"),
    [
        (Channel.EMAIL, "not an address", None),
        (Channel.WEBHOOK, "ftp://v1.example.test", SECRET),
        (Channel.WEBHOOK, "https://v1.example.test/h", None),
        (Channel.WEBHOOK, "https://v1.example.test/h", "plain-secret"),
    ],
)
def test_a_bad_address_or_secret_is_refused_and_stores_nothing(
    storage: InMemoryStorage, channel: Channel, address: str, secret: str | None
) -> None:
    with pytest.raises(InvalidInput):
        set_channel(storage.unit_of_work(), "v1", channel, address, NOW, secret=secret)

    with storage.unit_of_work() as uow:
        assert uow.contact_channels.of("v1") == []


def test_opting_out_of_a_channel_the_person_has_no_address_on_is_refused(
    storage: InMemoryStorage,
) -> None:
    with pytest.raises(InvalidInput):
        set_opt_out(storage.unit_of_work(), "v1", Channel.WEBHOOK, True, NOW)


def test_a_person_who_asked_to_be_deleted_is_told_nothing(storage: InMemoryStorage) -> None:
    with storage.unit_of_work() as uow:
        uow.privacy.add_tombstone(Tombstone("c1", SubjectKind.CUSTOMER, "admin", NOW, "asked"))
        uow.commit()
    enqueue(storage, NotificationKind.CONFIRMED)

    assert queued(storage) == [("v1", "email", "v1@example.test")]


def test_the_changes_of_a_booking_name_their_notifications(storage: InMemoryStorage) -> None:
    with storage.unit_of_work() as uow:
        booking = uow.bookings.get(make_booking(1).id)
        assert booking is not None
        booking.confirm_by_provider(Actor(ActorType.VENDOR, "v1"), NOW)
        added = enqueue_for_changes(uow, booking, NOW)
        uow.commit()

    # The vendor made the change: only the customer is told of it.
    assert {(n.kind, n.recipient.role) for n in added} == {
        (NotificationKind.CONFIRMED, Role.CUSTOMER),
    }


def test_a_rollback_after_the_vendor_confirmed_tells_both_it_is_cancelled(
    storage: InMemoryStorage,
) -> None:
    with storage.unit_of_work() as uow:
        booking = uow.bookings.get(make_booking(1).id)
        assert booking is not None
        booking.confirm_by_provider(Actor(ActorType.VENDOR, "v1"), NOW)
        booking.new_audit.clear()
        booking.roll_back(Actor(ActorType.ADMIN, "ops"), NOW, "duplicate")
        added = enqueue_for_changes(uow, booking, NOW)

    # The refund itself is told once the provider made it (test_notification_producers.py).
    assert sorted((n.kind, n.recipient.principal_id) for n in added) == [
        (NotificationKind.CANCELLED, "c1"),
        (NotificationKind.CANCELLED, "v1"),
    ]
