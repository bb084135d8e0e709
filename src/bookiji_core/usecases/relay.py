"""The outbox relay: deliver queued payment commands to the provider, exactly once in effect.

Per message: claim it under a lease (one transaction, batched), read the booking and the
provider's current state of its intent, make the one call still needed with the message's
idempotency key, then in one transaction check the lease is still ours, mark the message
committed, bring the booking forward and append the ledger. A crash anywhere leaves the
message in flight until its lease expires; the next claimer reads the provider's state
first, so the effect is not repeated (and the idempotency key covers the hold, whose
creation is the one effect that cannot be looked up before it has an id)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import attrs

from bookiji_core.booking import Actor, Booking
from bookiji_core.errors import ConcurrentUpdate, PaymentError
from bookiji_core.ledger import entries_for
from bookiji_core.payments import (
    GatewayStep,
    IntentView,
    OutboxMessage,
    OutboxState,
    PaymentAction,
)
from bookiji_core.ports import Clock, PaymentGateway, Telemetry, UnitOfWork
from bookiji_core.usecases.changes import record_changes
from bookiji_core.usecases.outbox_ops import is_paused

Checkpoint = Callable[[str], None]
"""Called with a step name between the relay's steps; SimCity and tests raise from it to
simulate a worker that dies there (`after_claim`, `before_gateway`, `after_gateway`)."""


def _no_checkpoint(_step: str) -> None:
    return None


class _CommandIds:
    """Outbox ids for the payment commands a booking raises while the relay records a result
    (money found on the card of a booking that is over is given back: Booking.apply_payment).
    Derived from each command's booking and sequence, unique as its idempotency key is, so
    the relay needs no Ids port and a SimCity run replays."""

    def __init__(self, booking: Booking) -> None:
        self._commands = iter(list(booking.new_commands))

    def new(self, prefix: str) -> str:
        command = next(self._commands)
        return f"{prefix}_{command.booking_id}_{command.sequence}"


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
    waited: int = 0
    lost_lease: int = 0
    paused: bool = False
    committed_ids: list[str] = attrs.field(factory=list)

    def __iadd__(self, other: RelayReport) -> RelayReport:
        for name in ("claimed", "committed", "retried", "dead", "waited", "lost_lease"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.paused = other.paused
        self.committed_ids.extend(other.committed_ids)
        return self


@attrs.frozen
class _Done:
    intent: IntentView | None


@attrs.frozen
class _Failed:
    error: str
    retryable: bool


@attrs.frozen
class _Wait:
    pass


_Result = _Done | _Failed | _Wait


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
    ) -> None:
        self._uow = uow
        self._gateway = gateway
        self._clock = clock
        self._telemetry = telemetry
        self._owner = owner
        self._settings = settings or RelaySettings()
        self._checkpoint = checkpoint
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
            lease_until = self._heartbeat(batch[index:], lease_until)
            self._deliver(message, report)
        return report

    def drain(self, max_rounds: int = 1000) -> RelayReport:
        """Run until a round claims nothing (tests and SimCity; workers loop on run_once)."""
        total = RelayReport()
        for _ in range(max_rounds):
            report = self.run_once()
            total += report
            if report.claimed == 0:
                break
        return total

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
        try:
            result = self._attempt(message)
        except PaymentError as error:
            result = _Failed(f"{error.code}: {error.message}", error.retryable)
        except ConcurrentUpdate as error:
            result = _Failed(f"{error.code}: {error.message}", True)
        self._finish(message, result, report)

    def _attempt(self, message: OutboxMessage) -> _Result:
        command = message.command
        with self._uow as uow:
            booking = uow.bookings.get(command.booking_id)
            earlier = [
                m
                for m in uow.outbox.for_booking(command.booking_id)
                if m.command.sequence < command.sequence and not m.finished
            ]
        if booking is None:
            return _Failed(f"booking {command.booking_id} does not exist", False)
        if earlier:  # payments of one booking happen in the order the booking asked for them
            return _Wait()
        intent = self._current_intent(message, booking)
        step = booking.next_payment_step(command, intent)
        if step is GatewayStep.IMPOSSIBLE:
            state = intent.status if intent else "no hold"
            return _Failed(f"cannot {command.action} an intent in state {state}", False)
        self._checkpoint("before_gateway")
        outcome = self._call(step, message, booking, intent)
        self._checkpoint("after_gateway")
        return _Done(outcome)

    def _current_intent(self, message: OutboxMessage, booking: Booking) -> IntentView | None:
        """Read before act: the provider's current state of the intent this message is about."""
        intent_id = message.command.intent_id or booking.payment_intent_id
        if intent_id is not None:
            return self._gateway.retrieve(intent_id)
        if (
            message.command.action is PaymentAction.PLACE_HOLD
            and message.attempts <= 1
            and message.last_error is None  # a message redriven from the DLQ has one
        ):
            return None  # a first attempt: nothing can have been placed yet
        # An earlier attempt may have placed the hold and died (or timed out) before recording
        # it; the provider finds it by the booking id in its metadata.
        found = [i for i in self._gateway.intents_for_booking(booking.id) if i.was_held]
        return found[0] if found else None

    def _call(
        self,
        step: GatewayStep,
        message: OutboxMessage,
        booking: Booking,
        intent: IntentView | None,
    ) -> IntentView | None:
        key = message.idempotency_key
        if step is GatewayStep.PLACE_HOLD:
            return self._gateway.place_hold(
                message.command.amount, booking.payment_method, booking.id, key
            )
        if intent is None or step is GatewayStep.NOTHING:
            return intent
        if step is GatewayStep.CAPTURE:
            return self._gateway.capture(intent.id, key)
        # A step other than the message's own action (a release that became a refund) gets
        # its own key, derived from the message's so that retries reuse it.
        own = {
            PaymentAction.RELEASE: GatewayStep.CANCEL,
            PaymentAction.REFUND: GatewayStep.REFUND,
        }.get(message.command.action)
        step_key = key if step is own else f"{key}:{step}"
        if step is GatewayStep.CANCEL:
            return self._gateway.cancel(intent.id, step_key)
        amount = attrs.evolve(intent.amount, amount=intent.net_captured)
        self._gateway.refund(intent.id, amount, step_key)
        return self._gateway.retrieve(intent.id)

    def _finish(self, message: OutboxMessage, result: _Result, report: RelayReport) -> None:
        for _ in range(3):
            try:
                self._record(message, result, report)
                return
            except ConcurrentUpdate:  # the booking moved under us: read it again
                continue
        report.lost_lease += 1  # leave it in flight; its lease expires and it is retried

    def _record(self, message: OutboxMessage, result: _Result, report: RelayReport) -> None:
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
            if isinstance(result, _Wait):
                uow.outbox.update(current.wait(now + self._settings.wait))
                outcome = "waited"
            elif isinstance(result, _Failed):
                failed = current.fail(result.error, now, retryable=result.retryable)
                uow.outbox.update(failed)
                outcome = "dlq" if failed.state is OutboxState.DLQ else "retry"
                if outcome == "dlq" and booking is not None and not result.retryable:
                    booking.payment_failed(action, result.error, now)
                    uow.bookings.update(booking)
                    record_changes(uow, booking, _CommandIds(booking), now)
            else:
                if booking is not None:
                    self._apply(uow, booking, result.intent, now)
                uow.outbox.update(current.commit(now))
                outcome = "committed"
            uow.commit()
        if outcome == "waited":
            report.waited += 1
            return
        if outcome == "committed":
            report.committed += 1
            report.committed_ids.append(message.id)
        elif outcome == "dlq":
            report.dead += 1
        else:
            report.retried += 1
        self._telemetry.outbox_delivery(action, outcome)

    def _apply(
        self, uow: UnitOfWork, booking: Booking, intent: IntentView | None, now: datetime
    ) -> None:
        if intent is None:  # the provider has no intent for the booking
            changed = booking.apply_no_intent(now)
        else:
            for entry in entries_for(booking.id, intent, now):
                uow.ledger.append(entry)
            changed = booking.apply_payment(intent, self._actor, now)
        if changed:
            uow.bookings.update(booking)
            record_changes(uow, booking, _CommandIds(booking), now)
