"""What SimCity borrows from the composition root, and the actors' calls into the core.

`Wiring` is the service as bootstrap wired it (storage, ids, policy, the confirm window) with
the peers outside Bookiji swapped: the clock, the SimCity payment provider, telemetry.
`Actions` are the calls a customer, a vendor or a worker makes: each is one of the use cases
the HTTP handlers and the worker loops call, with the same arguments; nothing here decides a
business rule. `WebhookEndpoint` is the provider's webhook delivery: verify the signature, hand
the event to `handle_payment_event`, and redeliver on failure as Stripe does.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from functools import partial

import attrs

from bookiji_adapters.memory import ManualClock
from bookiji_adapters.simcity.payments import PendingWebhook, SimCityPaymentGateway
from bookiji_adapters.stripe.webhooks import verified_event
from bookiji_core.access import Principal, Role
from bookiji_core.booking import Booking
from bookiji_core.errors import DomainError
from bookiji_core.policy import BookingPolicy
from bookiji_core.ports import (
    Clock,
    Ids,
    MapProvider,
    PaymentGateway,
    Telemetry,
    UnitOfWorkFactory,
)
from bookiji_core.quoting import QuotePolicy, QuoteRequest
from bookiji_core.usecases import (
    ConfirmBooking,
    ConfirmResult,
    OutboxRelay,
    QuoteResult,
    RelaySettings,
    auto_cancel_due,
    cancel_booking,
    confirm_booking,
    confirm_by_provider,
    handle_payment_event,
    request_quote,
)
from bookiji_core.usecases.relay import Checkpoint
from bookiji_core.values import BookingId, CustomerId, VendorId
from bookiji_core.webhooks import WebhookOutcome
from bookiji_simcity.faults import SimulatedCrash

# Stripe retries a failed delivery with exponential backoff; the simulation compresses it.
REDELIVERY_BASE_SECONDS = 5.0
REDELIVERY_MAX_ATTEMPTS = 8


@attrs.frozen
class Wiring:
    """The services SimCity drives: bootstrap's storage, ids and policy, swapped peers."""

    uow: UnitOfWorkFactory
    clock: Clock
    ids: Ids
    policy: QuotePolicy
    confirm_within: timedelta
    gateway: SimCityPaymentGateway
    telemetry: Telemetry
    webhook_secret: str
    maps: MapProvider
    close: Callable[[], None] = lambda: None


WiringFactory = Callable[[ManualClock, int, timedelta], Wiring]
"""Builds the services for one run (virtual clock, seed, confirm window): the composition
root's `simcity_run_wiring`, passed down by the CLI and the tests."""


class EventLog:
    """The run's story, one line per event, in simulated time. Its hash is the run's identity:
    the same seed must give the same lines."""

    def __init__(self, clock: Clock, *, keep: bool = True) -> None:
        self._clock = clock
        self._start = clock.now()
        self._keep = keep
        self.lines: list[str] = []
        self._digest = hashlib.sha256()

    def add(self, actor: str, message: str) -> None:
        elapsed = (self._clock.now() - self._start).total_seconds()
        line = f"{elapsed:10.3f} {actor:<14} {message}"
        self._digest.update(line.encode() + b"\n")
        if self._keep:
            self.lines.append(line)

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()


def customer(customer_id: str) -> Principal:
    return Principal(Role.CUSTOMER, customer_id)


def vendor(vendor_id: str) -> Principal:
    return Principal(Role.VENDOR, vendor_id)


class Actions:
    """The use cases, called as the edges call them (a principal per actor, the settings'
    confirm window)."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: Ids,
        policy: QuotePolicy,
        confirm_within: timedelta,
        maps: MapProvider,
    ) -> None:
        self.uow = uow
        self.clock = clock
        self.ids = ids
        self.policy = policy
        self.confirm_within = confirm_within
        self.maps = maps

    def quote(self, request: QuoteRequest) -> QuoteResult:
        return request_quote(request, self.uow(), self.clock, self.ids, self.policy, self.maps)

    def confirm(
        self, customer_id: CustomerId, quote_id: str, provider_id: str, method: str, key: str
    ) -> ConfirmResult:
        command = ConfirmBooking(
            principal=customer(customer_id),
            quote_id=quote_id,
            provider_id=provider_id,
            payment_method=method,
            idempotency_key=key,
        )
        return confirm_booking(
            command, self.uow(), self.clock, self.ids, BookingPolicy(self.confirm_within)
        )

    def cancel(self, customer_id: CustomerId, booking_id: BookingId, reason: str) -> Booking:
        return cancel_booking(
            booking_id, customer(customer_id), self.uow(), self.clock, self.ids, reason
        )

    def vendor_confirm(self, vendor_id: VendorId, booking_id: BookingId) -> Booking:
        return confirm_by_provider(booking_id, vendor(vendor_id), self.uow(), self.clock, self.ids)

    def auto_cancel(self) -> list[BookingId]:
        return auto_cancel_due(self.uow(), self.clock, self.ids)

    def relay(
        self,
        gateway: PaymentGateway,
        telemetry: Telemetry,
        owner: str,
        checkpoint: Checkpoint | None = None,
    ) -> OutboxRelay:
        relay = partial(OutboxRelay, self.uow(), gateway, self.clock, telemetry, owner=owner)
        if checkpoint is None:
            return relay(settings=RelaySettings())
        return relay(settings=RelaySettings(), checkpoint=checkpoint)


@attrs.define
class WebhookEndpoint:
    """The provider's side of webhook delivery into `handle_payment_event`, as the HTTP route
    does it: verify, apply, answer. A failed delivery (a refusal, a crash) is retried later
    with backoff, as Stripe retries any non-2xx answer; `redeliver` extra copies of each event
    are sent after its first delivery (FLAKY_WEBHOOK)."""

    uow: UnitOfWorkFactory
    gateway: PaymentGateway
    provider: SimCityPaymentGateway
    clock: Clock
    ids: Ids
    telemetry: Telemetry
    secret: str
    log: Callable[[str, str], None] = lambda _actor, _line: None
    redeliver: int = 0
    # Each delivery is its own request: a crash scope of its own (the runner's crash plan).
    scope: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext
    outcomes: defaultdict[str, list[str]] = attrs.field(factory=lambda: defaultdict(list))
    failures: Counter[str] = attrs.field(factory=Counter)

    def __call__(self, payload: bytes, header: str) -> object:
        body = json.loads(payload)
        event_id, event_type = str(body["id"]), str(body["type"])
        first = event_id not in self.outcomes
        try:
            outcome = self._apply(payload, header)
        except DomainError as error:
            outcome = f"failed:{error.code}"
        except SimulatedCrash:
            outcome = "failed:crash"
        self.outcomes[event_id].append(outcome)
        self.log("webhook", f"{event_type} {event_id} -> {outcome}")
        if outcome.startswith("failed"):
            self._retry_later(event_id, event_type, payload)
        elif first:
            for copy in range(self.redeliver):
                self._again(event_id, event_type, payload, float(copy + 1))
        return outcome

    def _apply(self, payload: bytes, header: str) -> str:
        with self.scope():
            event = verified_event(payload, header, self.secret, now=self.clock.now().timestamp())
            outcome: WebhookOutcome = handle_payment_event(
                event, self.uow(), self.gateway, self.clock, self.ids, self.telemetry
            )
        return str(outcome)

    def _retry_later(self, event_id: str, event_type: str, payload: bytes) -> None:
        self.failures[event_id] += 1
        attempt = self.failures[event_id]
        if attempt >= REDELIVERY_MAX_ATTEMPTS:
            self.log("webhook", f"{event_id} given up after {attempt} failed deliveries")
            return
        self._again(event_id, event_type, payload, REDELIVERY_BASE_SECONDS * 2 ** (attempt - 1))

    def _again(self, event_id: str, event_type: str, payload: bytes, seconds: float) -> None:
        due: datetime = self.clock.now() + timedelta(seconds=seconds)
        self.provider.pending.append(PendingWebhook(event_id, event_type, payload, due))

    def applied_twice(self) -> list[str]:
        """Events whose effect was applied more than once: the de-duplication failed."""
        return sorted(e for e, seen in self.outcomes.items() if seen.count("success") > 1)
