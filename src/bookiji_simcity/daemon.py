"""The SimCity daemon: synthetic traffic against the running service, on the wall clock.

While powered on, a background thread lets the synthetic population quote, book and cancel at
the configured rate, and its vendors answer fast, slowly (after the confirm window) or never.
Every move is an `Actions` call (the use cases the HTTP handlers call) against the service's
own storage; payments go through the service's own outbox, relay and webhooks. The SimCity
payment provider, when the service uses it, takes the configured fault probabilities.

Bounded: at most `MAX_PER_TICK` new sessions per tick and `MAX_PENDING` scheduled moves (new
sessions are shed beyond that); stoppable: power off stops the thread within a tick.
"""

from __future__ import annotations

import logging
import math
import random
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from bookiji_adapters.simcity.payments import FaultRates, SimCityPaymentGateway
from bookiji_core.errors import Forbidden
from bookiji_core.notifications import Envelope
from bookiji_core.ports import Clock, Ids, MapProvider, PaymentGateway, UnitOfWorkFactory
from bookiji_core.quoting import QuotePolicy, QuoteRequest
from bookiji_core.values import Interval, VendorId
from bookiji_simcity.daemon_config import DaemonConfig
from bookiji_simcity.front_door import FrontDoorActions
from bookiji_simcity.population import (
    CENTRE,
    CLOSES,
    OPENS,
    Mix,
    Population,
    Temper,
    generate,
    issue_tokens,
    near,
    settle_in,
)
from bookiji_simcity.traffic import Session, Traffic
from bookiji_simcity.wall import WallScheduler
from bookiji_simcity.world import Actions

log = logging.getLogger(__name__)

TICK_SECONDS = 0.1
MAX_PER_TICK = 20
MAX_PENDING = 20_000
WINDOW_DAYS = 14


class SimCityDaemon:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: Ids,
        policy: QuotePolicy,
        confirm_within: timedelta,
        gateway: PaymentGateway,
        maps: MapProvider,
        production: bool = False,
        allow_in_production: bool = False,
        seed: int | None = None,
        listen: Callable[[Callable[[Envelope], None]], None] | None = None,
        front_door: str | None = None,
    ) -> None:
        parts: dict[str, Any] = dict(
            uow=uow, clock=clock, ids=ids, policy=policy, confirm_within=confirm_within, maps=maps
        )
        # With a URL, the synthetic people go through the service's HTTP API (front_door.py).
        self._actions = (
            FrontDoorActions(url=front_door, **parts) if front_door else Actions(**parts)
        )
        self._clock = clock
        self._gateway = gateway
        self._production = production
        self._allow_in_production = allow_in_production
        self._rng = random.Random(seed)
        self._config = DaemonConfig()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started_at: datetime | None = None
        self._population: Population | None = None
        self._scheduler = WallScheduler(clock)
        self.counts: Counter[str] = Counter()
        self._traffic = Traffic(
            self._actions,
            self._scheduler,
            self._note,
            self._reply_after,
            self.counts,
            replies_on_booking=listen is None,
        )
        if listen is not None:  # the vendors confirm once the server's notifier told them
            listen(self._told)

    # -- the control surface (HTTP and bkctl) ------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _refuse_in_production(self) -> None:
        if self._production and not self._allow_in_production:
            raise Forbidden(
                "SimCity will not power on in the production profile unless "
                "BOOKIJI_SIMCITY_ALLOW_IN_PRODUCTION=true"
            )

    def power_on(self) -> dict[str, Any]:
        self._refuse_in_production()
        with self._lock:
            if not self.running:
                self._populate()
                self._apply_faults(self._config.rates())
                self._stop.clear()
                self._started_at = self._clock.now()
                self._thread = threading.Thread(target=self._loop, name="simcity", daemon=True)
                self._thread.start()
        return self.status()

    def power_off(self, timeout: float = 5.0) -> dict[str, Any]:
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
            if thread is not None:
                thread.join(timeout)
            self._scheduler.clear()  # pending vendor replies and cancels are dropped
            self._apply_faults(FaultRates())
            self._started_at = None
        return self.status()

    def configure(self, body: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._config = self._config.changed(body)
            if self.running:
                self._apply_faults(self._config.rates())
        return self.status()

    def issue_tokens(self, count: int, make: Callable[[str], str]) -> dict[str, str]:
        """Make sure the population exists; a fresh token for each of its first `count`
        customers (load mode acts as them)."""
        self._refuse_in_production()
        with self._lock:
            if self._population is None:
                self._populate()
            population = self._population
        assert population is not None
        return issue_tokens(self._actions.uow(), population.customers[:count], make)

    def status(self) -> dict[str, Any]:
        now = self._clock.now()
        population = self._population
        tempers = Counter(population.tempers.values()) if population else Counter()
        return {
            "running": self.running,
            "simulated_time": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "started_at": self._started_at.isoformat() if self._started_at else None,
            "rates": {
                "sessions_per_second": self._config.sessions_per_second,
                "cancel_probability": self._config.cancel_probability,
            },
            "config": attrs.asdict(self._config),
            "population": {
                "customers": len(population.customers) if population else 0,
                "vendors": len(population.vendors) if population else 0,
                "vendor_tempers": {t.value: tempers[t] for t in Temper},
            },
            # list() of a dict's items runs in C, under the GIL: a consistent copy.
            "counts": dict(sorted(list(self.counts.items()))),
            "pending_moves": len(self._scheduler),
            "faults_applied": isinstance(self._gateway, SimCityPaymentGateway),
            "front_door": getattr(self._actions, "url", None),
        }

    # -- the thread --------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            try:
                self._tick()
            except Exception:  # a failing tick (database down) must not kill the daemon
                self.counts["tick_errors"] += 1
                log.exception("simcity: tick failed")

    def _tick(self) -> None:
        for action in self._scheduler.due():
            self._safely(action)
        for _ in range(self._arrivals()):
            if len(self._scheduler) >= MAX_PENDING:
                self.counts["shed"] += 1
                continue
            self.counts["sessions"] += 1
            session = self._session()
            self._safely(lambda s=session: self._traffic.begin(s))  # type: ignore[misc]

    def _safely(self, action: Callable[[], object]) -> None:
        try:
            action()
        except Exception:
            self.counts["errors"] += 1
            log.exception("simcity: a synthetic move failed unexpectedly")

    def _arrivals(self) -> int:
        """A Poisson draw of this tick's new sessions, at most MAX_PER_TICK."""
        mean = self._config.sessions_per_second * TICK_SECONDS
        arrivals, term = 0, math.exp(-mean)
        total, draw = term, self._rng.random()
        while draw > total and arrivals < MAX_PER_TICK:
            arrivals += 1
            term *= mean / arrivals
            total += term
        return arrivals

    def _session(self) -> Session:
        population = self._population
        assert population is not None
        rng = self._rng
        customer = rng.choice(population.customers)
        vendor = rng.choice(population.vendors)
        day = self._clock.now().astimezone(UTC).date() + timedelta(days=rng.randint(1, 7))
        start = datetime.combine(day, OPENS, UTC) + timedelta(
            minutes=15 * rng.randrange(int((CLOSES.hour - OPENS.hour) * 4) - 4)
        )
        cancel = rng.random() < self._config.cancel_probability
        declined = rng.random() < self._config.declined_card_probability
        return Session(
            customer_id=customer.id,
            request=QuoteRequest(
                customer_id=customer.id,
                service_type=rng.choice(sorted(vendor.services)),
                location=near(rng, CENTRE, 3.0),
                radius_km=10.0,
                interval=Interval.starting(start, rng.choice([30, 60])),
            ),
            method="pm_card_chargeDeclined" if declined else "pm_card_visa",
            pick=rng.choice([0, 0, 1, 2]),
            cancel_after=rng.uniform(1.0, 60.0) if cancel else None,
            double_submit=rng.random() < self._config.double_submit_probability,
        )

    def _told(self, envelope: Envelope) -> None:
        # Only SimCity's own vendors answer; a real vendor's notification is not ours.
        population = self._population
        if population is not None and envelope.recipient.principal_id in population.tempers:
            self._traffic.vendor_told(envelope)

    def _reply_after(self, vendor_id: VendorId) -> float | None:
        temper = self._population.tempers.get(vendor_id) if self._population else None
        window = self._actions.confirm_within.total_seconds()
        if temper is Temper.NEVER:
            return None
        if temper is Temper.SLOW:
            return window + self._rng.uniform(1.0, 60.0)
        return self._rng.uniform(1.0, min(30.0, window / 2))

    def _populate(self) -> None:
        config = self._config
        self._population = generate(
            random.Random(f"simcity:population:{config.vendors}:{config.customers}"),
            vendors=config.vendors,
            customers=config.customers,
            currency=self._actions.policy.currency,
            mix=Mix(slow=config.slow_vendors, never=config.never_vendors),
        )
        added = settle_in(self._actions.uow(), self._population, self._clock.now(), WINDOW_DAYS)
        self.counts["population_added"] += added
        if isinstance(self._actions, FrontDoorActions):
            people = self._population
            self._actions.admit([c.id for c in people.customers], [v.id for v in people.vendors])

    def _apply_faults(self, rates: FaultRates) -> None:
        if isinstance(self._gateway, SimCityPaymentGateway):
            self._gateway.rates = rates

    def _note(self, _actor: str, _line: str) -> None:
        return None  # the daemon keeps counts, not a story
