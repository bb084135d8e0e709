"""A run's plan: who lives in the world, what they intend, and what goes wrong when.

Scenarios and the fuzzer fill a `Plan`; the runner carries it out on virtual time. Everything
random in a plan is drawn from the plan's own seeded stream before the run starts.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import attrs

from bookiji_adapters.simcity.provider_faults import Fault, FaultRates
from bookiji_core.catalogue import Customer, Vendor
from bookiji_core.quoting import QuoteRequest
from bookiji_core.values import CustomerId, Interval, VendorId
from bookiji_simcity.outcome import Check
from bookiji_simcity.population import (
    CENTRE,
    Temper,
    make_customer,
    make_vendor,
    near,
)
from bookiji_simcity.traffic import Session

START = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)  # a Monday, 08:00 UTC: SimCity opens
FIRST_SLOT = START + timedelta(days=1, hours=2)  # Tuesday 10:00, well inside the horizon


@attrs.frozen
class Operator:
    """An operator's command at a moment of the run (runbook drills)."""

    at: float
    name: str
    booking: int | None = None  # the n-th booking made (0-based), for rollback


@attrs.define
class Plan:
    rng: random.Random
    currency: str = "CAD"
    confirm_within: timedelta = timedelta(minutes=15)
    vendors: list[Vendor] = attrs.field(factory=list)
    customers: list[Customer] = attrs.field(factory=list)
    replies: dict[VendorId, float | None] = attrs.field(factory=dict)
    sessions: list[tuple[float, Session]] = attrs.field(factory=list)
    operators: list[Operator] = attrs.field(factory=list)
    rates: FaultRates = attrs.field(factory=FaultRates)
    scripted: list[tuple[Fault, str | None, int]] = attrs.field(factory=list)
    commit_crash_rate: float = 0.0
    checkpoint_crash_rate: float = 0.0
    crashes: list[tuple[str, str]] = attrs.field(factory=list)
    outages: list[tuple[float, float]] = attrs.field(factory=list)
    # When the people's mail is down (seconds since START): vendors are not told meanwhile.
    mail_outages: list[tuple[float, float]] = attrs.field(factory=list)
    redeliver: int = 0
    relays: int = 2
    dlq_bound: int = 0
    checks: list[Check] = attrs.field(factory=list)

    def vendor(
        self, reply: float | None = 2.0, *, services: frozenset[str] = frozenset({"sim-haircut"})
    ) -> VendorId:
        """A vendor who answers `reply` seconds after being told of a booking (None: never)."""
        made = attrs.evolve(
            make_vendor(len(self.vendors) + 1, self.rng, self.currency, services),
            rating=4.5,
        )
        self.vendors.append(made)
        self.replies[made.id] = reply
        return made.id

    def customer(self) -> CustomerId:
        made = make_customer(len(self.customers) + 1)
        self.customers.append(made)
        return made.id

    def session(
        self,
        at: float,
        customer: CustomerId,
        *,
        slot: int = 0,
        minutes: int = 60,
        service: str = "sim-haircut",
        pick: str | int = 0,
        cancel_after: float | None = None,
        double_submit: bool = False,
        method: str = "pm_card_visa",
    ) -> Session:
        """`customer` quotes at `at` seconds for the `slot`-th hour after FIRST_SLOT."""
        start = FIRST_SLOT + timedelta(hours=slot)
        request = QuoteRequest(
            customer_id=customer,
            service_type=service,
            location=near(self.rng, CENTRE, 1.0),
            radius_km=50.0,
            interval=Interval.starting(start, minutes),
        )
        made = Session(customer, request, method, pick, cancel_after, double_submit)
        self.sessions.append((at, made))
        return made

    def temper_reply(self, temper: Temper, fast: float = 2.0) -> float | None:
        """The reply delay a temper stands for, against this plan's confirm window."""
        if temper is Temper.NEVER:
            return None
        if temper is Temper.SLOW:
            return self.confirm_within.total_seconds() + 1.0
        return fast

    def inject(self, fault: Fault, operation: str | None = None, times: int = 1) -> None:
        self.scripted.append((fault, operation, times))

    def crash(self, point: str, where: str = "*") -> None:
        """A scripted crash: `checkpoint:after_gateway`, `commit:before` ... in scope `where`."""
        self.crashes.append((point, where))

    def check(self, check: Check) -> Check:
        self.checks.append(check)
        return check
