"""Deliver queued notifications through the Notifier: leases, backoff, DLQ and a delivery log.

The payment relay's design (docs/payments.md) without its read-before-act: a notification
is at least once, not exactly once. Per batch: claim it under a lease (one transaction), read
whether each person still wants that channel (one read-only transaction), send each, then in
one transaction check each lease is still ours, record the outcomes and append the delivery
log (if that transaction fails, each outcome is recorded in its own). A worker that dies after
sending and before recording sends again once the lease expires, with the same id (the
`webhook-id` a receiver de-duplicates on)."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from bookiji_core.errors import DeliveryFailed
from bookiji_core.notifications import (
    Channel,
    ChannelPreference,
    DeliveryAttempt,
    DeliveryOutcome,
    Envelope,
    Notification,
    NotificationState,
)
from bookiji_core.ports import Clock, Notifier, Telemetry, UnitOfWork


@attrs.frozen
class DeliverySettings:
    # Longer than any notifier's own timeout, so a send never outlives its lease.
    lease: timedelta = timedelta(seconds=60)
    batch: int = 20


@attrs.define
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    skipped: int = 0
    lost_lease: int = 0

    def __iadd__(self, other: DeliveryReport) -> DeliveryReport:
        for field in attrs.fields(DeliveryReport):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))
        return self


@attrs.frozen
class _Wish:
    preference: ChannelPreference | None
    deleted: bool


@attrs.frozen
class _Outcome:
    kind: DeliveryOutcome
    detail: str
    retryable: bool = True


class NotificationDelivery:
    """One delivery worker. Several may run at once, in threads or processes."""

    def __init__(
        self,
        uow: UnitOfWork,
        notifier: Notifier,
        clock: Clock,
        telemetry: Telemetry,
        *,
        owner: str,
        settings: DeliverySettings | None = None,
    ) -> None:
        self._uow = uow
        self._notifier = notifier
        self._clock = clock
        self._telemetry = telemetry
        self._owner = owner
        self._settings = settings or DeliverySettings()

    def run_once(self) -> DeliveryReport:
        """Claim one batch of due notifications and deliver each."""
        report = DeliveryReport()
        now = self._clock.now()
        with self._uow as uow:
            batch = uow.notifications.claim_due(
                now, owner=self._owner, lease=self._settings.lease, limit=self._settings.batch
            )
            uow.commit()
        report.claimed = len(batch)
        lease_until = now + self._settings.lease
        wishes = self._wishes(batch)
        attempted: list[tuple[Notification, _Outcome]] = []
        for notification in batch:
            # Every message of the batch is ours until the batch is recorded: renew them all.
            lease_until = self._heartbeat(batch, lease_until)
            attempted.append((notification, self._attempt(notification, wishes[notification.id])))
        self._record_all(attempted, report)
        return report

    def drain(self, max_rounds: int = 1000) -> DeliveryReport:
        """Run until a round claims nothing (tests and SimCity; workers loop on run_once)."""
        total = DeliveryReport()
        for _ in range(max_rounds):
            report = self.run_once()
            total += report
            if report.claimed == 0:
                break
        return total

    def _heartbeat(self, remaining: list[Notification], lease_until: datetime) -> datetime:
        # Renew once half the lease is gone, so a slow server never lets it lapse mid-send.
        now = self._clock.now()
        if now < lease_until - self._settings.lease / 2:
            return lease_until
        until = now + self._settings.lease
        with self._uow as uow:
            uow.notifications.renew_leases(
                [n.id for n in remaining], owner=self._owner, until=until
            )
            uow.commit()
        return until

    def _wishes(self, batch: list[Notification]) -> dict[str, _Wish]:
        """Each recipient's channel preference and whether they are being deleted, read for
        the whole batch in one read-only transaction."""
        found: dict[str, _Wish] = {}
        with self._uow.read_only() as uow:
            for notification in batch:
                recipient = notification.recipient
                found[notification.id] = _Wish(
                    uow.contact_channels.get(recipient.principal_id, recipient.channel),
                    uow.privacy.tombstone(recipient.principal_id) is not None,
                )
        return found

    def _attempt(self, notification: Notification, wish: _Wish) -> _Outcome:
        recipient = notification.recipient
        preference, deleted = wish.preference, wish.deleted
        if deleted:
            return _Outcome(DeliveryOutcome.SKIPPED, "the person asked to be deleted")
        if preference is not None and preference.opted_out:
            return _Outcome(DeliveryOutcome.SKIPPED, f"opted out of {recipient.channel}")
        secret = preference.secret if preference is not None else None
        try:
            self._notifier.send(Envelope(notification, secret))
        except DeliveryFailed as error:
            kind = DeliveryOutcome.RETRY if error.retryable else DeliveryOutcome.DLQ
            return _Outcome(kind, error.message, error.retryable)
        return _Outcome(DeliveryOutcome.SENT, "accepted")

    def _record_all(
        self, attempted: list[tuple[Notification, _Outcome]], report: DeliveryReport
    ) -> None:
        """The batch's outcomes in one transaction; if that fails, each in its own, so that
        one bad row costs the others no resend."""
        if not attempted:
            return
        now = self._clock.now()
        try:
            with self._uow as uow:
                tallies = [self._apply(uow, n, outcome, now) for n, outcome in attempted]
                uow.commit()
        except Exception:
            for notification, outcome in attempted:
                self._record(notification, outcome, report)
            return
        for tally in tallies:
            self._tally(tally, report)

    def _record(
        self, notification: Notification, outcome: _Outcome, report: DeliveryReport
    ) -> None:
        with self._uow as uow:
            tally = self._apply(uow, notification, outcome, self._clock.now())
            uow.commit()
        self._tally(tally, report)

    def _tally(self, tally: tuple[Channel, DeliveryOutcome] | None, report: DeliveryReport) -> None:
        if tally is None:
            # Our lease ran out and another worker took it over: it sends and records.
            report.lost_lease += 1
            return
        channel, kind = tally
        setattr(report, _REPORTED[kind], getattr(report, _REPORTED[kind]) + 1)
        self._telemetry.notification_delivery(channel, kind)

    def _apply(
        self, uow: UnitOfWork, notification: Notification, outcome: _Outcome, now: datetime
    ) -> tuple[Channel, DeliveryOutcome] | None:
        """Record one outcome in the open transaction: (channel, logged kind), or None when
        the lease is no longer ours."""
        current = uow.notifications.get(notification.id, for_update=True)
        if current is None or not current.holds_lease(self._owner):
            return None
        if outcome.kind is DeliveryOutcome.SENT:
            changed = current.sent(now)
        elif outcome.kind is DeliveryOutcome.SKIPPED:
            changed = current.skipped(now, outcome.detail)
        else:
            changed = current.fail(outcome.detail, now, retryable=outcome.retryable)
        kind = _logged(changed.state)
        uow.notifications.update(changed)
        uow.notifications.log_attempt(
            DeliveryAttempt(
                current.id,
                current.attempts,
                current.recipient.channel,
                kind,
                outcome.detail,
                now,
            )
        )
        return current.recipient.channel, kind


def _logged(state: NotificationState) -> DeliveryOutcome:
    return {
        NotificationState.SENT: DeliveryOutcome.SENT,
        NotificationState.SKIPPED: DeliveryOutcome.SKIPPED,
        NotificationState.DLQ: DeliveryOutcome.DLQ,
    }.get(state, DeliveryOutcome.RETRY)


_REPORTED = {
    DeliveryOutcome.SENT: "sent",
    DeliveryOutcome.RETRY: "retried",
    DeliveryOutcome.DLQ: "dead",
    DeliveryOutcome.SKIPPED: "skipped",
}
