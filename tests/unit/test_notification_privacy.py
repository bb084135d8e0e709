"""A person's notifications and channels are in their privacy export, and the shredder erases
them (docs/privacy/pii_map.yml: notifications, contact_channels)."""

from __future__ import annotations

from bookiji_core import BookingId
from bookiji_core.notifications import Channel, NotificationKind
from bookiji_core.privacy import ERASED
from bookiji_core.usecases.notify import enqueue_notifications, set_channel, set_opt_out
from tests.unit.conftest import NOW
from tests.unit.test_privacy import ALICE, PrivacyWorld

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def notified_world() -> tuple[PrivacyWorld, BookingId]:
    world = PrivacyWorld()
    booking_id = BookingId(world.book())
    with world.uow() as uow:
        booking = uow.bookings.get(booking_id)
        enqueue_notifications(uow, booking, NotificationKind.AWAITING_VENDOR, NOW)
        uow.commit()
    set_opt_out(world.uow(), ALICE, Channel.EMAIL, True, NOW)
    return world, booking_id


def test_an_export_holds_the_persons_notifications_and_channels_but_no_secret() -> None:
    world, booking_id = notified_world()
    set_channel(world.uow(), "v1", Channel.WEBHOOK, "https://v1.example.test/h", NOW, secret=SECRET)

    alice = world.export()
    vendor = world.export(subject="v1")

    (sent,) = alice["notifications"]
    assert (sent["booking_id"], sent["address"]) == (booking_id, "alice@example.test")
    assert sent["body"].startswith("Hello Alice Example,")
    assert alice["contact_channels"] == [
        {
            "channel": "email",
            "address": "alice@example.test",
            "opted_out": True,
            "updated_at": "2030-01-07T08:00:00Z",
        }
    ]
    assert SECRET not in str(vendor)
    assert [c["channel"] for c in vendor["contact_channels"]] == ["webhook"]


def test_the_shredder_erases_the_addresses_and_texts_and_removes_the_channels() -> None:
    world, _ = notified_world()

    world.delete()
    world.shred()

    with world.uow() as uow:
        (erased,) = uow.notifications.for_principal(ALICE)
        channels = uow.contact_channels.of(ALICE)
        (vendors,) = uow.notifications.for_principal("v1")
    assert erased.recipient.address == erased.content.body == ERASED
    assert "Alice" not in erased.content.payload_json
    assert channels == []
    assert vendors.recipient.address == "v1@example.test"  # someone else's stays
