"""The notification outbox, delivery log and contact channels: one contract for memory, SQLite
and PostgreSQL."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import attrs

from bookiji_core.notifications import (
    Channel,
    ChannelPreference,
    Content,
    DeliveryAttempt,
    DeliveryOutcome,
    Notification,
    NotificationKind,
    NotificationState,
    Recipient,
    Role,
)
from bookiji_core.values import BookingId
from tests.conftest import Storage
from tests.contract.test_storage_contract import read, write
from tests.unit.conftest import NOW

LEASE = timedelta(seconds=60)


def make_notification(
    n: int, *, booking: str = "bk_1", principal: str = "v1", **changes: object
) -> Notification:
    recipient = Recipient(principal, Role.VENDOR, Channel.EMAIL, f"{principal}@example.test")
    content = Content(
        f"Booking {booking}", "Hello Vendor 1,\n\nPlease confirm.\n", json.dumps({"n": n})
    )
    notification = Notification.queue(
        NotificationKind.AWAITING_VENDOR, BookingId(booking), recipient, content, NOW
    )
    return attrs.evolve(notification, id=f"ntf_{n:03d}", **changes)


def test_a_notification_reads_back_exactly_as_it_was_added(storage: Storage) -> None:
    notification = make_notification(1)
    write(storage, lambda uow: uow.notifications.add(notification))

    assert read(storage, lambda uow: uow.notifications.get("ntf_001")) == notification
    assert read(storage, lambda uow: uow.notifications.get("ntf_404")) is None


def test_adding_a_notification_with_an_id_already_stored_adds_nothing(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        first = uow.notifications.add(make_notification(1))
        again = uow.notifications.add(make_notification(1, principal="v2"))
        uow.commit()

    assert (first, again) == (True, False)
    stored = read(storage, lambda uow: uow.notifications.get("ntf_001"))
    assert stored is not None and stored.recipient.principal_id == "v1"


def test_a_notification_added_in_a_rolled_back_transaction_is_not_there(
    storage: Storage,
) -> None:
    with storage.unit_of_work() as uow:
        uow.notifications.add(make_notification(1))
        uow.contact_channels.set(ChannelPreference("v1", Channel.EMAIL, "v1@example.test"))
    # Left without commit: rolled back.

    assert read(storage, lambda uow: uow.notifications.get("ntf_001")) is None
    assert read(storage, lambda uow: uow.contact_channels.of("v1")) == []


def test_claim_takes_due_notifications_oldest_first_leases_them_and_counts_an_attempt(
    storage: Storage,
) -> None:
    write(
        storage,
        lambda uow: [
            uow.notifications.add(make_notification(1, next_attempt_at=NOW + timedelta(seconds=2))),
            uow.notifications.add(make_notification(2, next_attempt_at=NOW - timedelta(seconds=1))),
            uow.notifications.add(make_notification(3, next_attempt_at=NOW + timedelta(hours=1))),
        ],
    )
    with storage.unit_of_work() as uow:
        claimed = uow.notifications.claim_due(
            NOW + timedelta(seconds=3), owner="w1", lease=LEASE, limit=5
        )
        uow.commit()

    assert [n.id for n in claimed] == ["ntf_002", "ntf_001"]
    assert all(n.state is NotificationState.IN_FLIGHT and n.attempts == 1 for n in claimed)
    assert all(
        n.lease_owner == "w1" and n.lease_until == NOW + timedelta(seconds=3) + LEASE
        for n in claimed
    )
    stored = read(storage, lambda uow: uow.notifications.get("ntf_002"))
    assert stored == claimed[0]


def test_an_expired_lease_is_taken_back_by_the_next_claimer(storage: Storage) -> None:
    write(storage, lambda uow: uow.notifications.add(make_notification(1)))
    with storage.unit_of_work() as uow:
        uow.notifications.claim_due(NOW, owner="w1", lease=LEASE, limit=5)
        uow.commit()
    with storage.unit_of_work() as uow:
        still_leased = uow.notifications.claim_due(
            NOW + LEASE / 2, owner="w2", lease=LEASE, limit=5
        )
        expired = uow.notifications.claim_due(NOW + LEASE, owner="w2", lease=LEASE, limit=5)
        uow.commit()

    assert still_leased == []
    assert [(n.lease_owner, n.attempts) for n in expired] == [("w2", 2)]


def test_concurrent_claimers_never_share_a_notification(storage: Storage) -> None:
    write(storage, lambda uow: [uow.notifications.add(make_notification(n)) for n in range(1, 41)])
    claimed: dict[str, list[str]] = {}

    def worker(owner: str) -> None:
        mine = claimed.setdefault(owner, [])
        while True:
            with storage.unit_of_work() as uow:
                batch = uow.notifications.claim_due(NOW, owner=owner, lease=LEASE, limit=3)
                uow.commit()
            if not batch:
                return
            mine.extend(n.id for n in batch)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    everything = [n for ids in claimed.values() for n in ids]
    assert sorted(everything) == [f"ntf_{n:03d}" for n in range(1, 41)]  # each exactly once


def test_renewing_leases_extends_only_the_ones_the_owner_still_holds(storage: Storage) -> None:
    write(storage, lambda uow: [uow.notifications.add(make_notification(n)) for n in (1, 2)])
    with storage.unit_of_work() as uow:
        uow.notifications.claim_due(NOW, owner="w1", lease=LEASE, limit=1)
        uow.commit()
    until = NOW + timedelta(minutes=5)
    with storage.unit_of_work() as uow:
        held = uow.notifications.renew_leases(["ntf_001", "ntf_002"], owner="w1", until=until)
        other = uow.notifications.renew_leases(["ntf_001"], owner="w2", until=until)
        uow.commit()

    assert (held, other) == (["ntf_001"], [])
    stored = read(storage, lambda uow: uow.notifications.get("ntf_001"))
    assert stored is not None and stored.lease_until == until


def test_an_update_saves_the_delivery_state_and_counts_cover_every_state(
    storage: Storage,
) -> None:
    write(storage, lambda uow: [uow.notifications.add(make_notification(n)) for n in (1, 2, 3)])
    later = NOW + timedelta(seconds=5)
    with storage.unit_of_work() as uow:
        uow.notifications.update(make_notification(1).sent(later))
        dead = attrs.evolve(make_notification(2), attempts=8).fail("550", later, retryable=True)
        uow.notifications.update(dead)
        uow.commit()

    counts = read(storage, lambda uow: uow.notifications.counts())
    assert counts == {
        NotificationState.QUEUED: 1,
        NotificationState.IN_FLIGHT: 0,
        NotificationState.SENT: 1,
        NotificationState.SKIPPED: 0,
        NotificationState.DLQ: 1,
    }
    sent = read(storage, lambda uow: uow.notifications.get("ntf_001"))
    assert sent is not None and sent.finished_at == later
    in_dlq = read(storage, lambda uow: uow.notifications.list_by_state(NotificationState.DLQ))
    assert [(n.id, n.last_error) for n in in_dlq] == [("ntf_002", "550")]


def test_notifications_are_found_by_booking_and_by_principal(storage: Storage) -> None:
    write(
        storage,
        lambda uow: [
            uow.notifications.add(make_notification(1, booking="bk_1", principal="v1")),
            uow.notifications.add(make_notification(2, booking="bk_2", principal="v1")),
            uow.notifications.add(make_notification(3, booking="bk_1", principal="c1")),
        ],
    )

    by_booking = read(storage, lambda uow: uow.notifications.for_booking(BookingId("bk_1")))
    by_person = read(storage, lambda uow: uow.notifications.for_principal("v1"))
    assert [n.id for n in by_booking] == ["ntf_001", "ntf_003"]
    assert [n.id for n in by_person] == ["ntf_001", "ntf_002"]


def test_the_delivery_log_keeps_every_attempt_in_order(storage: Storage) -> None:
    attempts = [
        DeliveryAttempt("ntf_001", 1, Channel.EMAIL, DeliveryOutcome.RETRY, "SMTP 451", NOW),
        DeliveryAttempt(
            "ntf_001", 2, Channel.EMAIL, DeliveryOutcome.SENT, "accepted", NOW + timedelta(1)
        ),
        DeliveryAttempt("ntf_002", 1, Channel.WEBHOOK, DeliveryOutcome.DLQ, "410", NOW),
    ]
    write(storage, lambda uow: [uow.notifications.log_attempt(a) for a in attempts])

    assert read(storage, lambda uow: uow.notifications.attempts_of("ntf_001")) == attempts[:2]
    assert read(storage, lambda uow: uow.notifications.attempts_of("ntf_404")) == []


def test_erasing_a_persons_notifications_overwrites_address_and_texts_once(
    storage: Storage,
) -> None:
    write(
        storage,
        lambda uow: [
            uow.notifications.add(make_notification(1, principal="v1")),
            uow.notifications.add(make_notification(2, principal="c1")),
        ],
    )
    with storage.unit_of_work() as uow:
        first = uow.notifications.erase_for("v1", "[erased]")
        again = uow.notifications.erase_for("v1", "[erased]")
        uow.commit()

    assert (first, again) == (1, 0)
    erased = read(storage, lambda uow: uow.notifications.get("ntf_001"))
    kept = read(storage, lambda uow: uow.notifications.get("ntf_002"))
    assert erased is not None and kept is not None
    assert erased.recipient.address == erased.content.subject == erased.content.body == "[erased]"
    assert erased.content.payload == {}
    assert kept.recipient.address == "c1@example.test"


def test_a_channel_preference_is_stored_replaced_listed_and_removed(storage: Storage) -> None:
    email = ChannelPreference("v1", Channel.EMAIL, "v1@example.test", updated_at=NOW)
    hook = ChannelPreference(
        "v1", Channel.WEBHOOK, "https://v1.example.test/hooks", secret="whsec_c2VjcmV0"
    )
    write(storage, lambda uow: [uow.contact_channels.set(p) for p in (email, hook)])
    write(storage, lambda uow: uow.contact_channels.set(email.opt_out(NOW + timedelta(1))))

    stored = read(storage, lambda uow: uow.contact_channels.get("v1", Channel.EMAIL))
    assert stored == email.opt_out(NOW + timedelta(1))
    assert read(storage, lambda uow: uow.contact_channels.of("v1")) == [stored, hook]
    assert read(storage, lambda uow: uow.contact_channels.get("v2", Channel.EMAIL)) is None
    with storage.unit_of_work() as uow:
        removed = uow.contact_channels.remove_all("v1")
        uow.commit()
    assert removed == 2
    assert read(storage, lambda uow: uow.contact_channels.of("v1")) == []
