"""The outbox relay: deliver queued payment commands to the provider, exactly once in effect.

Per message: claim it under a lease (one transaction, batched), read the booking and the
provider's current state of its intent, make the one call still needed with the message's
idempotency key, then in one transaction check the lease is still ours, mark the message
committed, bring the booking forward and append the ledger. A crash anywhere leaves the
message in flight until its lease expires; the next claimer reads the provider's state
first, so the effect is not repeated (and the idempotency key covers the hold, whose
creation is the one effect that cannot be looked up before it has an id)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import attrs

from bookiji_core import correlation
from bookiji_core.booking import Actor
from bookiji_core.errors import CardDeclined, ConcurrentUpdate, PaymentError
from bookiji_core.payment_decisions import settles_without_person
from bookiji_core.payments import OutboxMessage, OutboxState
from bookiji_core.ports import Clock, PaymentGateway, Telemetry, UnitOfWork
from bookiji_core.usecases.outbox_ops import is_paused
from bookiji_core.usecases.payment_outcomes import DerivedIds, record_answer, record_refusal
from bookiji_core.usecases.relay_delivery import Checkpoint, Failed, Result, Wait, attempt

__all__ = ["Checkpoint", "OutboxRelay", "RelayReport", "RelaySettings"]

log = logging.getLogger("bookiji.relay")


def _no_checkpoint(_step: str) -> None:
    return None


def _running() -> bool:
    return False


@attrs.frozen
class RelaySettings:
    lease: timedelta = timedelta(seconds=30)
    batch: int = 20
    # How long a message waits when an earlier payment of its booking is still pending.
    wait: timedelta = timedelta(seconds=1)


@attrs.define
class RelayReport:
    claimed: int = 0
    committed: int = 0
    retried: int = 0
    dead: int = 0
    declined: int = 0
    waited: int = 0
    lost_lease: int = 0
    released: int = 0
    paused: bool = False
    committed_ids: list[str] = attrs.field(factory=list)

    def __iadd__(self, other: RelayReport) -> RelayReport:
        counted = ("claimed", "committed", "retried", "dead", "declined", "waited")
        for name in (*counted, "lost_lease", "released"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.paused = other.paused
        self.committed_ids.extend(other.committed_ids)
        return self


class OutboxRelay:
    """One relay worker. Several may run at once, in threads or processes."""

    def __init__(
        self,
        uow: UnitOfWork,
        gateway: PaymentGateway,
        clock: Clock,
        telemetry: Telemetry,
        *,
        owner: str,
        settings: RelaySettings | None = None,
        checkpoint: Checkpoint = _no_checkpoint,
        stopping: Callable[[], bool] = _running,
    ) -> None:
        self._uow = uow
        self._gateway = gateway
        self._clock = clock
        self._telemetry = telemetry
        self._owner = owner
        self._settings = settings or RelaySettings()
        self._checkpoint = checkpoint
        self._stopping = stopping
        self._actor = Actor.system(f"relay:{owner}")

    def run_once(self) -> RelayReport:
        """Claim one batch of due messages and deliver each. Does nothing while paused."""
        report = RelayReport()
        now = self._clock.now()
        with self._uow as uow:
            if is_paused(uow):
                report.paused = True
                return report
            batch = uow.outbox.claim_due(
                now, owner=self._owner, lease=self._settings.lease, limit=self._settings.batch
            )
            uow.commit()
        report.claimed = len(batch)
        self._checkpoint("after_claim")
        lease_until = now + self._settings.lease
        for index, message in enumerate(batch):
            if self._stopping():
                self._release(batch[index:], report)
                break
            lease_until = self._heartbeat(batch[index:], lease_until)
            with correlation.bound(message.correlation_id):
                self._deliver(message, report)
        return report

    def drain(self, max_rounds: int = 1000) -> RelayReport:
        """Run until a round claims nothing (tests and SimCity; workers loop on run_once)."""
        total = RelayReport()
        for _ in range(max_rounds):
            report = self.run_once()
            total += report
            if report.claimed == 0 or self._stopping():
                break
        return total

    def _release(self, remaining: list[OutboxMessage], report: RelayReport) -> None:
        """Stopping: give back the messages not yet attempted, for another relay at once."""
        with self._uow as uow:
            released = uow.outbox.release([m.id for m in remaining], owner=self._owner)
            uow.commit()
        report.released += len(released)
        if released:
            log.info("outbox: stopping; gave back %d message(s) unattempted", len(released))

    def _heartbeat(self, remaining: list[OutboxMessage], lease_until: datetime) -> datetime:
        # Renew once half the lease is gone, so a slow provider never lets it lapse mid-call.
        now = self._clock.now()
        if now < lease_until - self._settings.lease / 2:
            return lease_until
        until = now + self._settings.lease
        with self._uow as uow:
            uow.outbox.renew_leases([m.id for m in remaining], owner=self._owner, until=until)
            uow.commit()
        return until

    def _deliver(self, message: OutboxMessage, report: RelayReport) -> None:
        result: Result
        try:
            result = attempt(message, self._uow, self._gateway, self._checkpoint)
        except PaymentError as error:
            declined = isinstance(error, CardDeclined)
            result = Failed(f"{error.code}: {error.message}", error.retryable, declined)
        except ConcurrentUpdate as error:
            result = Failed(f"{error.code}: {error.message}", True)
        self._finish(message, result, report)

    def _finish(self, message: OutboxMessage, result: Result, report: RelayReport) -> None:
        for _ in range(3):
            try:
                self._record(message, result, report)
                return
            except ConcurrentUpdate:  # the booking moved under us: read it again
                continue
        report.lost_lease += 1  # leave it in flight; its lease expires and it is retried

    def _record(self, message: OutboxMessage, result: Result, report: RelayReport) -> None:
        now = self._clock.now()
        action = message.command.action
        with self._uow as uow:
            current = uow.outbox.get(message.id, for_update=True)
            if current is None or not current.holds_lease(self._owner):
                # Our lease ran out and another relay took the message: it will redo the
                # delivery, reading the provider's state first, so nothing is lost or doubled.
                report.lost_lease += 1
                return
            booking = uow.bookings.get(message.command.booking_id, for_update=True)
            if isinstance(result, Wait):
                uow.outbox.update(current.wait(now + self._settings.wait))
                outcome = "waited"
            elif isinstance(result, Failed) and settles_without_person(
                action, declined=result.declined
            ):
                # A declined card: the booking's payment fails, its slot is freed and the
                # customer told; the message is done, with the refusal kept as its last error.
                if booking is not None:
                    record_refusal(uow, booking, action, result.error, DerivedIds(booking), now)
                uow.outbox.update(current.decline(result.error, now))
                outcome = "declined"
            elif isinstance(result, Failed):
                failed = current.fail(result.error, now, retryable=result.retryable)
                uow.outbox.update(failed)
                outcome = "dlq" if failed.state is OutboxState.DLQ else "retry"
                if outcome == "dlq" and booking is not None and not result.retryable:
                    record_refusal(uow, booking, action, result.error, DerivedIds(booking), now)
            else:
                if booking is not None:
                    ids = DerivedIds(booking)
                    record_answer(uow, booking, result.intent, self._actor, ids, now)
                uow.outbox.update(current.commit(now))
                outcome = "committed"
            uow.commit()
        log.log(
            logging.DEBUG if outcome == "waited" else logging.INFO,
            "outbox: %s %s for booking %s (message %s, attempt %d)",
            outcome,
            action.value,
            message.command.booking_id,
            message.id,
            message.attempts,
            extra={"fields": {"booking_id": message.command.booking_id, "outcome": outcome}},
        )
        if outcome == "waited":
            report.waited += 1
            return
        if outcome == "committed":
            report.committed += 1
            report.committed_ids.append(message.id)
        elif outcome == "declined":
            report.declined += 1
        elif outcome == "dlq":
            report.dead += 1
        else:
            report.retried += 1
        self._telemetry.outbox_delivery(action, outcome)
