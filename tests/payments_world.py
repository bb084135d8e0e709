"""A small payments world for unit and stateful tests: memory storage, a manual clock, the
SimCity gateway, the relay and the webhook endpoint wired as production wires them."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import attrs

from bookiji_adapters.memory import InMemoryStorage, InMemoryTelemetry, ManualClock, SequentialIds
from bookiji_adapters.simcity import SimCityPaymentGateway
from bookiji_adapters.stripe.webhooks import verified_event
from bookiji_core import Actor, ActorType, Booking, BookingId, Interval, Money, OutboxState
from bookiji_core.errors import DomainError
from bookiji_core.ledger import LedgerEntry
from bookiji_core.payments import OutboxMessage
from bookiji_core.usecases import OutboxRelay, RelaySettings, auto_cancel_due, handle_payment_event
from bookiji_core.usecases.changes import record_changes
from bookiji_core.usecases.relay import Checkpoint
from bookiji_core.values import CustomerId, QuoteId, VendorId
from bookiji_core.webhooks import WebhookOutcome

START = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
FEE = Money("CAD", 100)
SECRET = "whsec_test"
CONFIRM_WITHIN = timedelta(minutes=15)


class SimulatedCrash(BaseException):
    """A relay worker dying at a checkpoint (BaseException: nothing may catch it)."""


@attrs.define
class PaymentWorld:
    storage: InMemoryStorage = attrs.field(factory=InMemoryStorage)
    clock: ManualClock = attrs.field(factory=lambda: ManualClock(START))
    ids: SequentialIds = attrs.field(factory=SequentialIds)
    telemetry: InMemoryTelemetry = attrs.field(factory=InMemoryTelemetry)
    seed: int = 1
    prefix: str = "bk"
    gateway: SimCityPaymentGateway = attrs.field(init=False)
    outcomes: list[WebhookOutcome | str] = attrs.field(factory=list)
    _bookings: int = 0

    def __attrs_post_init__(self) -> None:
        self.gateway = SimCityPaymentGateway(
            clock=self.clock, rng=random.Random(self.seed), webhook_secret=SECRET
        )
        self.gateway.subscribe(self.receive_webhook)

    # -- actors ----------------------------------------------------------------------------

    def book(self, payment_method: str = "pm_card_visa") -> BookingId:
        """A customer confirms: the booking and its hold message, in one transaction."""
        self._bookings += 1
        n = self._bookings
        now = self.clock.now()
        booking = Booking.place(
            booking_id=BookingId(f"{self.prefix}_{n:04d}"),
            quote_id=QuoteId(f"q_{n}"),
            customer_id=CustomerId(f"c{n}"),
            vendor_id=VendorId(f"v{n}"),
            interval=Interval.starting(now + timedelta(days=1), 60),
            price=Money("CAD", 4500),
            commitment_fee=FEE,
            payment_method=payment_method,
            confirm_within=CONFIRM_WITHIN,
            now=now,
        )
        with self.storage.unit_of_work() as uow:
            uow.bookings.add(booking)
            record_changes(uow, booking, self.ids, now)
            uow.commit()
        return booking.id

    def vendor_confirms(self, booking_id: BookingId) -> None:
        self._change(booking_id, lambda b: b.confirm_by_provider(self._vendor(b), self.now))

    def customer_cancels(self, booking_id: BookingId) -> None:
        actor = Actor(ActorType.CUSTOMER, "")
        self._change(
            booking_id,
            lambda b: b.cancel(attrs.evolve(actor, id=b.customer_id), self.now, "changed my mind"),
        )

    def auto_cancel(self) -> list[BookingId]:
        return auto_cancel_due(self.storage.unit_of_work(), self.clock, self.ids)

    def relay(
        self, owner: str = "relay-1", checkpoint: Checkpoint | None = None, **settings: object
    ) -> OutboxRelay:
        kwargs = {} if checkpoint is None else {"checkpoint": checkpoint}
        return OutboxRelay(
            self.storage.unit_of_work(),
            self.gateway,
            self.clock,
            self.telemetry,
            owner=owner,
            settings=RelaySettings(**settings),  # type: ignore[arg-type]
            **kwargs,  # type: ignore[arg-type]
        )

    def receive_webhook(self, payload: bytes, header: str) -> WebhookOutcome | str:
        """The webhook endpoint: verify, then apply; a failure is what Stripe would retry."""
        event = verified_event(payload, header, SECRET, now=self.clock.now().timestamp())
        try:
            outcome: WebhookOutcome | str = handle_payment_event(
                event,
                self.storage.unit_of_work(),
                self.gateway,
                self.clock,
                self.ids,
                self.telemetry,
            )
        except DomainError as error:
            outcome = f"failed: {error.code}"
        self.outcomes.append(outcome)
        return outcome

    def settle(self, max_rounds: int = 200) -> None:
        """Run the relay and deliver webhooks, moving the clock to each retry, until the
        outbox has nothing queued or in flight."""
        relay = self.relay("settler")
        for _ in range(max_rounds):
            relay.drain()
            self.gateway.deliver_due()
            pending = self.unfinished()
            if not pending:
                return
            due = min(
                m.next_attempt_at if m.state is OutboxState.QUEUED else m.lease_until or self.now
                for m in pending
            )
            self.clock.set(max(self.now, due))
        raise AssertionError("the outbox did not settle")

    # -- reading ---------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self.clock.now()

    def booking(self, booking_id: BookingId) -> Booking:
        with self.storage.unit_of_work() as uow:
            found = uow.bookings.get(booking_id)
        assert found is not None
        return found

    def ledger(self, booking_id: BookingId) -> list[LedgerEntry]:
        with self.storage.unit_of_work() as uow:
            return uow.ledger.for_booking(booking_id)

    def messages(self, booking_id: BookingId | None = None) -> list[OutboxMessage]:
        with self.storage.unit_of_work() as uow:
            if booking_id is not None:
                return uow.outbox.for_booking(booking_id)
            return sorted(self.storage.state.outbox.values(), key=lambda m: m.id)

    def unfinished(self) -> list[OutboxMessage]:
        return [m for m in self.messages() if not m.finished]

    def _vendor(self, booking: Booking) -> Actor:
        return Actor(ActorType.VENDOR, booking.vendor_id)

    def _change(self, booking_id: BookingId, change: object) -> None:
        now = self.now
        with self.storage.unit_of_work() as uow:
            booking = uow.bookings.get(booking_id, for_update=True)
            assert booking is not None
            change(booking)  # type: ignore[operator]
            uow.bookings.update(booking)
            record_changes(uow, booking, self.ids, now)
            uow.commit()


def crash_at(step: str, times: int = 1) -> Checkpoint:
    """A checkpoint that kills the relay the first `times` times it reaches `step`."""
    left = [times]

    def checkpoint(reached: str) -> None:
        if reached == step and left[0] > 0:
            left[0] -= 1
            raise SimulatedCrash(step)

    return checkpoint
