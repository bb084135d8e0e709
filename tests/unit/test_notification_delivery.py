"""Delivering notifications: sent once accepted, retried with backoff, dead-lettered after the
last attempt, skipped after an opt-out, and logged and counted at every attempt."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from bookiji_adapters.memory import InMemoryStorage, InMemoryTelemetry, ManualClock
from bookiji_adapters.memory.notifier import InMemoryNotifier
from bookiji_core.access import Principal, Role
from bookiji_core.notifications import Channel, DeliveryOutcome, NotificationState
from bookiji_core.usecases.deliver_notifications import (
    DeliverySettings,
    NotificationDelivery,
)
from bookiji_core.usecases.notification_ops import redrive_notifications
from bookiji_core.usecases.notify import set_channel, set_opt_out
from tests.contract.test_notification_storage_contract import make_notification
from tests.unit.conftest import NOW, make_vendor

ADMIN = Principal(Role.ADMIN, "adm_oncall")
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@attrs.define
class Rig:
    storage: InMemoryStorage
    clock: ManualClock
    notifier: InMemoryNotifier
    telemetry: InMemoryTelemetry

    def worker(self, owner: str = "w1") -> NotificationDelivery:
        return NotificationDelivery(
            self.storage.unit_of_work(), self.notifier, self.clock, self.telemetry, owner=owner
        )

    def stored(self, notification_id: str = "ntf_001"):  # type: ignore[no-untyped-def]
        with self.storage.unit_of_work() as uow:
            return uow.notifications.get(notification_id), uow.notifications.attempts_of(
                notification_id
            )


@pytest.fixture
def rig() -> Rig:
    storage = InMemoryStorage()
    with storage.unit_of_work() as uow:
        uow.vendors.add(make_vendor(1))
        uow.notifications.add(make_notification(1))
        uow.commit()
    return Rig(storage, ManualClock(NOW), InMemoryNotifier(), InMemoryTelemetry())


def test_a_due_notification_is_sent_marked_sent_logged_and_counted(rig: Rig) -> None:
    report = rig.worker().drain()

    stored, log = rig.stored()
    assert (report.claimed, report.sent) == (1, 1)
    assert [e.notification.id for e in rig.notifier.sent] == ["ntf_001"]
    assert stored.state is NotificationState.SENT and stored.finished_at == NOW
    assert [(a.attempt, a.outcome) for a in log] == [(1, DeliveryOutcome.SENT)]
    assert rig.telemetry.counts[("notification", "email", "sent")] == 1


def test_a_failed_send_is_retried_after_one_then_two_seconds(rig: Rig) -> None:
    rig.notifier.fail_next(2)
    worker = rig.worker()

    assert worker.run_once().retried == 1
    first, _ = rig.stored()
    assert timedelta(seconds=1) <= first.next_attempt_at - NOW <= timedelta(seconds=1.25)
    rig.clock.advance(timedelta(seconds=1.25))
    assert worker.run_once().retried == 1
    second, _ = rig.stored()
    delay = second.next_attempt_at - rig.clock.now()
    assert timedelta(seconds=2) <= delay <= timedelta(seconds=2.5)
    assert worker.run_once().claimed == 0  # not due yet
    rig.clock.advance(timedelta(seconds=2.5))
    assert worker.run_once().sent == 1

    stored, log = rig.stored()
    assert stored.state is NotificationState.SENT and stored.attempts == 3
    assert [a.outcome for a in log] == [DeliveryOutcome.RETRY] * 2 + [DeliveryOutcome.SENT]
    assert rig.telemetry.counts[("notification", "email", "retry")] == 2


def test_the_last_failed_attempt_goes_to_the_dlq(rig: Rig) -> None:
    rig.notifier.fail_next(8)
    worker = rig.worker()
    for _ in range(8):
        worker.run_once()
        rig.clock.advance(timedelta(minutes=6))  # past the longest backoff

    stored, log = rig.stored()
    assert stored.state is NotificationState.DLQ and stored.attempts == 8
    assert [a.outcome for a in log] == [DeliveryOutcome.RETRY] * 7 + [DeliveryOutcome.DLQ]
    assert rig.notifier.sent == []
    assert rig.telemetry.counts[("notification", "email", "dlq")] == 1


def test_a_permanent_refusal_goes_to_the_dlq_at_once_and_a_redrive_sends_it(rig: Rig) -> None:
    rig.notifier.fail_next(1, retryable=False)

    assert rig.worker().drain().dead == 1
    redriven = redrive_notifications(ADMIN, "fixed", rig.storage.unit_of_work(), rig.clock)
    assert len(redriven) == 1
    assert rig.worker().drain().sent == 1

    stored, log = rig.stored()
    assert stored.state is NotificationState.SENT
    assert [a.outcome for a in log] == [DeliveryOutcome.DLQ, DeliveryOutcome.SENT]


def test_a_person_who_opts_out_after_it_was_queued_is_not_sent_it(rig: Rig) -> None:
    set_opt_out(rig.storage.unit_of_work(), "v1", Channel.EMAIL, True, NOW)

    assert rig.worker().drain().skipped == 1

    stored, log = rig.stored()
    assert rig.notifier.sent == []
    assert stored.state is NotificationState.SKIPPED
    assert [(a.outcome, a.detail) for a in log] == [(DeliveryOutcome.SKIPPED, "opted out of email")]
    assert rig.telemetry.counts[("notification", "email", "skipped")] == 1


def test_a_webhook_is_handed_over_with_its_endpoints_secret(rig: Rig) -> None:
    set_channel(
        rig.storage.unit_of_work(),
        "v1",
        Channel.WEBHOOK,
        "https://v1.example.test/h",
        NOW,
        secret=SECRET,
    )
    hook = make_notification(2)
    hook = attrs.evolve(hook, recipient=attrs.evolve(hook.recipient, channel=Channel.WEBHOOK))
    with rig.storage.unit_of_work() as uow:
        uow.notifications.add(hook)
        uow.commit()

    rig.worker().drain()

    secrets = {e.notification.id: e.secret for e in rig.notifier.sent}
    assert secrets == {"ntf_001": None, "ntf_002": SECRET}


def test_a_worker_whose_lease_ran_out_does_not_record_over_the_one_that_took_over(
    rig: Rig,
) -> None:
    slow = NotificationDelivery(
        rig.storage.unit_of_work(),
        rig.notifier,
        rig.clock,
        rig.telemetry,
        owner="slow",
        settings=DeliverySettings(lease=timedelta(seconds=30)),
    )

    def stall(_envelope: object) -> None:
        # While the slow worker is sending, its lease expires and another takes over.
        if len(rig.notifier.sent) == 1:
            rig.clock.advance(timedelta(seconds=31))
            assert rig.worker("fast").run_once().sent == 1

    rig.notifier.subscribe(stall)
    report = slow.run_once()

    stored, log = rig.stored()
    assert report.lost_lease == 1 and report.sent == 0
    assert stored.state is NotificationState.SENT
    assert [(a.attempt, a.outcome) for a in log] == [(2, DeliveryOutcome.SENT)]
    # At least once: both sent it, with the same id for the receiver to de-duplicate.
    assert [e.notification.id for e in rig.notifier.sent] == ["ntf_001", "ntf_001"]


def _batch_of_five(rig: Rig) -> None:
    with rig.storage.unit_of_work() as uow:
        for n in range(2, 6):
            uow.notifications.add(make_notification(n))
        uow.commit()


def test_a_batch_is_recorded_in_one_transaction(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    _batch_of_five(rig)
    worker = rig.worker()
    uow = worker._uow  # the worker's one unit of work, entered once per transaction
    commits: list[int] = []
    real_commit = uow.commit
    monkeypatch.setattr(uow, "commit", lambda: (commits.append(1), real_commit())[1])

    report = worker.run_once()

    assert (report.claimed, report.sent) == (5, 5)
    assert len(commits) == 2  # the claim, then the five outcomes together
    assert all(rig.stored(f"ntf_{n:03d}")[0].state is NotificationState.SENT for n in range(1, 6))


def test_when_the_batch_cannot_be_recorded_each_is_recorded_alone_and_none_is_resent(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    _batch_of_five(rig)
    worker = rig.worker()
    notifications = worker._uow.notifications
    real_update = notifications.update
    failed: list[str] = []

    def update_failing_once(changed):  # type: ignore[no-untyped-def]
        if changed.id == "ntf_003" and not failed:
            failed.append(changed.id)
            raise RuntimeError("a row the batch could not write")
        real_update(changed)

    monkeypatch.setattr(notifications, "update", update_failing_once)
    report = worker.run_once()

    assert failed == ["ntf_003"]
    assert report.sent == 5 and report.lost_lease == 0
    assert sorted(e.notification.id for e in rig.notifier.sent) == [
        f"ntf_{n:03d}" for n in range(1, 6)
    ]
    for n in range(1, 6):
        stored, log = rig.stored(f"ntf_{n:03d}")
        assert stored.state is NotificationState.SENT
        assert [a.outcome for a in log] == [DeliveryOutcome.SENT]  # logged once, not twice
