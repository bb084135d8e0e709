"""The outbox relay: deliver queued payment commands to the provider, exactly once in effect.

Per batch: claim up to `batch` due messages under a lease (one transaction); read the
bookings and the order of their payments for all of them (one read-only transaction); then,
per message, read the provider's current state of its intent and make the one call still
needed with the message's idempotency key (`parallel` of them in flight at once, each on its
own thread; one at a time, in order, by default); then, in one transaction for the batch,
check each lease is still ours, mark each message committed, bring each booking forward and
append the ledger. If recording one message fails (ConcurrentUpdate: its booking moved on, a
lock timed out), that transaction is rolled back and the others are recorded again without
it; it is then recorded alone, as before batching. Two messages of one booking in one batch
go in rounds: the later one is read only once the earlier one is recorded.

A crash anywhere leaves the messages of the batch that are not yet recorded in flight until
their lease expires; the next claimer reads the provider's state first, so no effect is
repeated (and the idempotency key covers the hold, whose creation is the one effect that
cannot be looked up before it has an id)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TypeVar

import attrs

from bookiji_core import correlation
from bookiji_core.booking import Actor, Booking
from bookiji_core.errors import CardDeclined, ConcurrentUpdate, PaymentError
from bookiji_core.payment_decisions import GatewayStep, ProviderCall, settles_without_person
from bookiji_core.payments import OutboxMessage, OutboxState
from bookiji_core.ports import Clock, PaymentGateway, Telemetry, UnitOfWork
from bookiji_core.usecases.outbox_ops import is_paused
from bookiji_core.usecases.payment_outcomes import DerivedIds, record_answer, record_refusal
from bookiji_core.usecases.relay_delivery import (
    Checkpoint,
    Done,
    Failed,
    Result,
    Wait,
    plan,
    read_batch,
    send,
)

__all__ = ["Checkpoint", "OutboxRelay", "RelayReport", "RelaySettings"]

log = logging.getLogger("bookiji.relay")

T = TypeVar("T")
U = TypeVar("U")
Delivery = tuple[OutboxMessage, Result]
Tally = tuple[OutboxMessage, str | None]  # the outcome recorded; None: the lease was lost


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
    # Provider calls in flight at once, each on a thread of its own and with its own
    # idempotency key. 1: one after the other in the relay's thread, in the batch's order,
    # which a deterministic SimCity run needs (its faults are drawn in call order).
    parallel: int = 1


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


class _RecordFailed(Exception):
    """Recording the message at `index` of a batch raised ConcurrentUpdate."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


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
        self._lease_until = datetime.min  # set by each run_once

    def run_once(self) -> RelayReport:
        """Claim one batch of due messages and deliver them. Does nothing while paused."""
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
        self._lease_until = now + self._settings.lease
        pool = None
        if self._settings.parallel > 1 and len(batch) > 1:
            pool = ThreadPoolExecutor(self._settings.parallel, f"relay-{self._owner}")
        try:
            done: set[str] = set()  # read, and given a result to record (or recorded)
            for messages in _rounds(batch):
                if not self._deliver_round(messages, batch, done, report, pool):
                    break
        finally:
            if pool is not None:
                pool.shutdown()
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

    def _deliver_round(
        self,
        messages: list[OutboxMessage],
        batch: list[OutboxMessage],
        done: set[str],
        report: RelayReport,
        pool: ThreadPoolExecutor | None,
    ) -> bool:
        """Deliver messages of distinct bookings and record them in one transaction. False
        if the relay is stopping (the batch's messages not yet attempted are given back)."""
        deliveries: list[Delivery] = []
        ready: list[tuple[OutboxMessage, Booking]] = []
        try:
            for message, booking, early in read_batch(messages, self._uow):
                if early is not None or booking is None:
                    deliveries.append((message, early or Failed("no booking", False)))
                else:
                    ready.append((message, booking))
        except ConcurrentUpdate as error:  # the read could not take its turn: each retries
            deliveries = [(m, Failed(f"{error.code}: {error.message}", True)) for m in messages]
        done.update(m.id for m, _ in deliveries)
        going = True
        wave = max(1, self._settings.parallel)
        for start in range(0, len(ready), wave):
            if self._stopping():
                self._release([m for m in batch if m.id not in done], report)
                going = False
                break
            self._heartbeat(batch)
            calls = ready[start : start + wave]
            done.update(m.id for m, _ in calls)
            deliveries.extend(self._call(calls, pool))
        if deliveries:
            self._heartbeat(batch)
            self._record_all(deliveries, report)
        return going

    def _release(self, remaining: list[OutboxMessage], report: RelayReport) -> None:
        """Stopping: give back the messages not yet attempted, for another relay at once."""
        with self._uow as uow:
            released = uow.outbox.release([m.id for m in remaining], owner=self._owner)
            uow.commit()
        report.released += len(released)
        if released:
            log.info("outbox: stopping; gave back %d message(s) unattempted", len(released))

    def _heartbeat(self, batch: list[OutboxMessage]) -> None:
        # Renew once half the lease is gone, so a slow provider never lets it lapse mid-call
        # (only the messages still in flight for us are renewed: not those recorded already).
        now = self._clock.now()
        if now < self._lease_until - self._settings.lease / 2:
            return
        until = now + self._settings.lease
        with self._uow as uow:
            uow.outbox.renew_leases([m.id for m in batch], owner=self._owner, until=until)
            uow.commit()
        self._lease_until = until

    # -- the provider: read its state, then the call still needed --------------------------

    def _call(
        self, calls: list[tuple[OutboxMessage, Booking]], pool: ThreadPoolExecutor | None
    ) -> list[Delivery]:
        """One wave: each message's provider read and plan, then each call (on the pool's
        threads when there is one), with the checkpoints around the calls in this thread."""
        plans = _map(pool, lambda c: self._plan(*c), calls)
        sends: list[tuple[OutboxMessage, Booking, ProviderCall]] = []
        results: dict[str, Result] = {}
        for (message, booking), planned in zip(calls, plans, strict=True):
            if isinstance(planned, ProviderCall):
                self._checkpoint("before_gateway")
                sends.append((message, booking, planned))
            else:
                results[message.id] = planned
        sent = _map(pool, lambda s: self._send(*s), sends)
        for (message, _, _), result in zip(sends, sent, strict=True):
            self._checkpoint("after_gateway")
            results[message.id] = result
        return [(message, results[message.id]) for message, _ in calls]

    def _plan(self, message: OutboxMessage, booking: Booking) -> ProviderCall | Result:
        with correlation.bound(message.correlation_id):
            try:
                call = plan(message, booking, self._gateway)
            except PaymentError as error:
                return _failed(error)
        if call.step is GatewayStep.IMPOSSIBLE:
            return Failed(call.refusal, False)
        return call

    def _send(self, message: OutboxMessage, booking: Booking, call: ProviderCall) -> Result:
        with correlation.bound(message.correlation_id):
            try:
                return Done(send(call, booking, self._gateway))
            except PaymentError as error:
                return _failed(error)

    # -- recording: one transaction for the batch, one per message for those that failed ---

    def _record_all(self, deliveries: list[Delivery], report: RelayReport) -> None:
        pending = list(deliveries)
        alone: list[Delivery] = []
        while pending:
            try:
                tallies = self._record(pending)
            except _RecordFailed as failed:  # that one goes alone; the others again together
                alone.append(pending.pop(failed.index))
                if len(alone) >= 3:  # a batch that keeps failing: each message on its own
                    alone.extend(pending)
                    break
                continue
            except ConcurrentUpdate:  # not one message's (a lock, the commit): each alone
                alone.extend(pending)
                break
            self._tally(tallies, report)
            break
        for message, result in alone:
            self._finish(message, result, report)

    def _finish(self, message: OutboxMessage, result: Result, report: RelayReport) -> None:
        for _ in range(3):
            try:
                self._tally(self._record([(message, result)]), report)
                return
            except (ConcurrentUpdate, _RecordFailed):  # the booking moved under us: read again
                continue
        report.lost_lease += 1  # leave it in flight; its lease expires and it is retried

    def _record(self, deliveries: Sequence[Delivery]) -> list[Tally]:
        """Record the deliveries in one transaction; raises _RecordFailed naming the one whose
        recording raised ConcurrentUpdate (nothing is recorded then), or ConcurrentUpdate."""
        now = self._clock.now()
        tallies: list[Tally] = []
        with self._uow as uow:
            current = uow.outbox.get_many([m.id for m, _ in deliveries], for_update=True)
            booking_ids = [m.command.booking_id for m, _ in deliveries]
            bookings = uow.bookings.get_many(booking_ids, for_update=True)
            for index, (message, result) in enumerate(deliveries):
                held = current.get(message.id)
                if held is None or not held.holds_lease(self._owner):
                    # Our lease ran out and another relay took the message: it will redo the
                    # delivery, reading the provider's state first, so nothing is lost or
                    # doubled.
                    tallies.append((message, None))
                    continue
                booking = bookings.get(message.command.booking_id)
                try:
                    with correlation.bound(message.correlation_id):
                        outcome = self._apply(uow, held, booking, result, now)
                except ConcurrentUpdate as error:
                    raise _RecordFailed(index) from error
                tallies.append((message, outcome))
            uow.commit()
        return tallies

    def _apply(
        self,
        uow: UnitOfWork,
        current: OutboxMessage,
        booking: Booking | None,
        result: Result,
        now: datetime,
    ) -> str:
        action = current.command.action
        if isinstance(result, Wait):
            uow.outbox.update(current.wait(now + self._settings.wait))
            return "waited"
        if isinstance(result, Failed) and settles_without_person(action, declined=result.declined):
            # A declined card: the booking's payment fails, its slot is freed and the
            # customer told; the message is done, with the refusal kept as its last error.
            if booking is not None:
                record_refusal(uow, booking, action, result.error, DerivedIds(booking), now)
            uow.outbox.update(current.decline(result.error, now))
            return "declined"
        if isinstance(result, Failed):
            failed = current.fail(result.error, now, retryable=result.retryable)
            uow.outbox.update(failed)
            outcome = "dlq" if failed.state is OutboxState.DLQ else "retry"
            if outcome == "dlq" and booking is not None and not result.retryable:
                record_refusal(uow, booking, action, result.error, DerivedIds(booking), now)
            return outcome
        if booking is not None:
            record_answer(uow, booking, result.intent, self._actor, DerivedIds(booking), now)
        uow.outbox.update(current.commit(now))
        return "committed"

    def _tally(self, tallies: Iterable[Tally], report: RelayReport) -> None:
        """Count and log what a committed transaction recorded."""
        for message, outcome in tallies:
            if outcome is None:
                report.lost_lease += 1
                continue
            self._count(message, outcome, report)

    def _count(self, message: OutboxMessage, outcome: str, report: RelayReport) -> None:
        action = message.command.action
        # Logged after the batch's commit, under the request id of the message's booking.
        with correlation.bound(message.correlation_id):
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


def _failed(error: PaymentError) -> Failed:
    return Failed(
        f"{error.code}: {error.message}", error.retryable, isinstance(error, CardDeclined)
    )


def _rounds(batch: list[OutboxMessage]) -> list[list[OutboxMessage]]:
    """The batch in rounds of distinct bookings, in its order: a booking's second message in
    the batch goes in the second round, read once the first is recorded."""
    rounds: list[list[OutboxMessage]] = []
    seen: dict[str, int] = {}
    for message in batch:
        n = seen.get(message.command.booking_id, 0)
        seen[message.command.booking_id] = n + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(message)
    return rounds


def _map(pool: ThreadPoolExecutor | None, fn: Callable[[T], U], items: list[T]) -> list[U]:
    if pool is None or len(items) <= 1:
        return [fn(item) for item in items]
    return list(pool.map(fn, items))
