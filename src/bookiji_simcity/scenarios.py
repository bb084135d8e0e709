"""The named scenarios: DOMAIN.md's failure modes, the races worth testing, and runbook drills.

Each scenario fills a Plan (its random parts drawn from the plan's seeded stream) and adds its
own checks on top of the invariants every run keeps.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from datetime import timedelta

import attrs

from bookiji_adapters.simcity.payments import Fault
from bookiji_core.booking import BookingState
from bookiji_core.payments import OutboxState, PaymentStatus
from bookiji_simcity.checks import booking, ended, expect, receipt, released
from bookiji_simcity.fuzz import fuzz_plan
from bookiji_simcity.outcome import Outcome, Verdict
from bookiji_simcity.plan import Operator, Plan
from bookiji_simcity.runner import Simulation
from bookiji_simcity.world import EventLog, WiringFactory

Build = Callable[[Plan], None]


@attrs.frozen
class Scenario:
    name: str
    summary: str
    build: Build


SCENARIOS: dict[str, Scenario] = {}


def scenario(summary: str) -> Callable[[Build], Build]:
    def register(build: Build) -> Build:
        name = build.__name__.upper()
        SCENARIOS[name] = Scenario(name, summary, build)
        return build

    return register


# -- DOMAIN.md's failure modes and end-to-end flows -------------------------------------------


@scenario("quote -> hold $1 -> vendor confirms -> capture -> receipt")
def happy(plan: Plan) -> None:
    vendor = plan.vendor(reply=plan.rng.choice([1.0, 2.0, 3.5]))
    plan.session(0, plan.customer(), pick=vendor)
    plan.check(lambda o: receipt(o))


@scenario("the customer cancels before the vendor confirms -> hold released")
def cancel(plan: Plan) -> None:
    vendor = plan.vendor(reply=None)
    plan.session(0, plan.customer(), pick=vendor, cancel_after=plan.rng.choice([0.5, 1.0, 4.0]))
    plan.check(
        lambda o: ended(o, 0, BookingState.CANCELLED, ["confirm", "cancel"]) + released(o, 0)
    )


@scenario("T = 8 s; the vendor answers after 9 s -> auto-cancel at T, hold released")
def slow_confirm(plan: Plan) -> None:
    plan.confirm_within = timedelta(seconds=8)
    vendor = plan.vendor(reply=9.0)
    plan.session(0, plan.customer(), pick=vendor)

    @plan.check
    def _(o: Outcome) -> list[str]:
        found = ended(o, 0, BookingState.CANCELLED, ["confirm", "auto_cancel"]) + released(o, 0)
        b = booking(o, 0)
        if b is not None:
            at = o.seconds(o.snapshot.audit[b.id][-1].at)
            found += expect(8.0 <= at < 9.0, f"auto-cancel ran at {at:g} s, not in [8, 9)")
        refused = o.traffic.counts["vendor_confirm_refused:illegal_transition"]
        found += expect(refused == 1, f"the late vendor confirm was refused {refused} times")
        return found


@scenario("the vendor never answers -> auto-cancel after T (15 min), hold released")
def timeout(plan: Plan) -> None:
    plan.session(0, plan.customer(), pick=plan.vendor(reply=None))

    @plan.check
    def _(o: Outcome) -> list[str]:
        found = ended(o, 0, BookingState.CANCELLED, ["confirm", "auto_cancel"]) + released(o, 0)
        b = booking(o, 0)
        if b is not None:
            at = o.seconds(o.snapshot.audit[b.id][-1].at)
            found += expect(900.0 <= at <= 901.0, f"auto-cancel ran at {at:g} s")
        return found


@scenario("an operator rolls back a silent vendor's booking (release) and a captured one (refund)")
def rollback_timeout(plan: Plan) -> None:
    plan.session(0, plan.customer(), pick=plan.vendor(reply=None))
    plan.session(1, plan.customer(), pick=plan.vendor(reply=2.0), slot=1)
    plan.operators += [Operator(120.0, "rollback", 0), Operator(300.0, "rollback", 1)]

    @plan.check
    def _(o: Outcome) -> list[str]:
        found = ended(o, 0, BookingState.CANCELLED, ["confirm", "rollback"]) + released(o, 0)
        found += ended(
            o,
            1,
            BookingState.REFUNDED,
            ["confirm", "provider_confirm", "issue_receipt", "rollback"],
        )
        b = booking(o, 1)
        if b is not None:
            kept = sum(i.net_captured for i in o.snapshot.intents_of(b.id))
            found += expect(kept == 0, f"{b.id} still keeps {kept} after its rollback")
            found += expect(b.payment_status is PaymentStatus.REFUNDED, f"{b.id} not refunded")
        return found


@scenario("every webhook is delivered 4 times -> skipped, never applied twice, one receipt")
def flaky_webhook(plan: Plan) -> None:
    plan.redeliver = 3
    plan.session(0, plan.customer(), pick=plan.vendor(reply=plan.rng.choice([1.0, 5.0])))

    @plan.check
    def _(o: Outcome) -> list[str]:
        found = receipt(o)
        deliveries = o.endpoint.outcomes
        found += expect(len(deliveries) >= 2, f"only {len(deliveries)} events were delivered")
        for event_id, seen in sorted(deliveries.items()):
            found += expect(len(seen) >= 4, f"{event_id} was delivered {len(seen)} times")
            skips = seen.count("idempotent_skip")
            found += expect(skips >= 3, f"{event_id}: {skips} idempotent skips of {seen}")
        return found


@scenario("three 502s on the hold and on the capture, retried after 1, 2, 4 s -> exactly once")
def gateway_502(plan: Plan) -> None:
    plan.inject(Fault.GATEWAY_502, "place_hold", 3)
    plan.inject(Fault.GATEWAY_502, "capture", 3)
    plan.session(0, plan.customer(), pick=plan.vendor(reply=plan.rng.choice([2.0, 30.0])))

    @plan.check
    def _(o: Outcome) -> list[str]:
        found = receipt(o)
        for operation in ("place_hold", "capture"):
            calls = [c for c in o.calls if c.operation == operation]
            outcomes = [c.outcome for c in calls]
            want = ["payment_retryable"] * 3 + ["ok"]
            found += expect(outcomes == want, f"{operation} calls were {outcomes}")
            gaps = [(b.at - a.at).total_seconds() for a, b in itertools.pairwise(calls)]
            for gap, base in zip(gaps, (1.0, 2.0, 4.0), strict=False):
                # The backoff plus up to 25 % jitter, plus up to one relay poll interval.
                found += expect(
                    base <= gap <= base * 1.25 + 0.5, f"{operation} retried after {gaps}"
                )
        return found


# -- races ----------------------------------------------------------------------------------


@scenario("2-5 customers confirm one vendor's slot at the same instant -> one booking")
def double_booking_race(plan: Plan) -> None:
    vendor = plan.vendor(reply=2.0)
    racers = plan.rng.randint(2, 5)
    for n in range(racers):
        plan.session(0, plan.customer(), pick=vendor, double_submit=n == 0)

    @plan.check
    def _(o: Outcome) -> list[str]:
        found = expect(len(o.traffic.bookings) == 1, f"{len(o.traffic.bookings)} bookings made")
        taken = {who for what, who, code in o.traffic.refusals if code == "slot_taken"}
        found += expect(
            len(taken) == racers - 1, f"{len(taken)} of {racers} racers were refused slot_taken"
        )
        return found + receipt(o)


@scenario("a cancel races the vendor's confirm; the freed slot is rebooked at once by two")
def cancel_rebook_race(plan: Plan) -> None:
    vendor = plan.vendor(reply=5.0)
    first = plan.customer()
    plan.session(0, first, pick=vendor, cancel_after=5.0)
    plan.session(5.25, first, pick=vendor)
    plan.session(5.25, plan.customer(), pick=vendor)

    @plan.check
    def _(o: Outcome) -> list[str]:
        active = [b for b in o.snapshot.bookings if b.is_active]
        found = expect(len(active) == 1, f"{len(active)} active bookings hold the slot")
        b = booking(o, 0)
        if b is not None and b.state is BookingState.CANCELLED:
            found += released(o, 0)
            found += expect(len(o.traffic.bookings) == 2, "the freed slot was not rebooked once")
        return found


@scenario("the provider times out after the hold, the capture and the release took effect")
def psp_timeout_after_success(plan: Plan) -> None:
    for operation in ("place_hold", "capture", "cancel"):
        plan.inject(Fault.TIMEOUT_AFTER_EFFECT, operation)
    plan.inject(Fault.SLOW, "place_hold")  # 9 s against the caller's 8 s: a timeout too
    keeps, cancels = plan.customer(), plan.customer()
    plan.session(0, keeps, pick=plan.vendor(reply=20.0))
    plan.session(0, cancels, pick=plan.vendor(reply=None), slot=1, cancel_after=30.0)

    @plan.check
    def _(o: Outcome) -> list[str]:
        found = receipt(o, keeps)
        found += ended(o, cancels, BookingState.CANCELLED, ["confirm", "cancel"])
        found += released(o, cancels)
        timeouts = sum(1 for c in o.calls if c.outcome == "payment_retryable")
        found += expect(timeouts >= 4, f"only {timeouts} provider timeouts happened")
        return found


@scenario("relays die after claiming, before and after the provider call, before/after commit")
def relay_crash(plan: Plan) -> None:
    points = [
        "checkpoint:after_claim",
        "checkpoint:before_gateway",
        "checkpoint:after_gateway",
        "commit:before",
        "commit:after",
    ]
    plan.rng.shuffle(points)
    for point in points[:3]:
        plan.crash(point, "relay")
    plan.session(0, plan.customer(), pick=plan.vendor(reply=plan.rng.choice([2.0, 40.0])))

    @plan.check
    def _(o: Outcome) -> list[str]:
        crashes = sum(1 for crash in o.crashes if crash.startswith("relay"))
        return receipt(o) + expect(crashes == 3, f"{crashes} relay crashes happened, not 3")


@scenario("a 10-minute provider outage fills the DLQ; runbook Incident-001 drains it")
def dlq_growth(plan: Plan) -> None:
    plan.outages.append((0.0, 600.0))
    sessions = plan.rng.randint(3, 6)
    for n in range(sessions):
        vendor = plan.vendor(reply=plan.rng.choice([2.0, 30.0, None]))
        plan.session(5.0 * n, plan.customer(), pick=vendor, cancel_after=None)
    plan.dlq_bound = 2 * sessions  # at most a hold and a capture or release per booking

    @plan.check
    def _(o: Outcome) -> list[str]:
        found = expect(o.peak_dlq > 0, "the outage never put anything in the DLQ")
        found += expect(o.runbook_drains >= 1, "the DLQ was never drained")
        dead = o.snapshot.count(OutboxState.DLQ)
        return found + expect(dead == 0, f"{dead} messages are still in the DLQ")


@scenario("SimCity's mail is down for 90 s: vendors are told late, by the retries, and confirm")
def mail_outage(plan: Plan) -> None:
    plan.mail_outages.append((0.0, 90.0))
    for n in range(3):
        plan.session(2.0 * n, plan.customer(), pick=plan.vendor(reply=2.0))

    @plan.check
    def _(o: Outcome) -> list[str]:
        c = o.traffic.counts
        found = expect(c["vendor_told"] == c["booked"] == 3, f"told {c['vendor_told']} of 3")
        found += expect(c["vendor_confirmed"] == 3, f"{c['vendor_confirmed']} of 3 confirmed")
        retries = o.telemetry_counts[("notification", "email", "retry")]
        return found + expect(retries >= 3, f"{retries} retried deliveries during the outage")


SCENARIOS["FUZZ"] = Scenario(
    "FUZZ", "a random world and fault schedule drawn from the seed (bkctl simcity fuzz)", fuzz_plan
)


def plan_for(name: str, seed: int) -> Plan:
    plan = Plan(random.Random(f"simcity:{seed}:plan"))
    SCENARIOS[name].build(plan)
    return plan


def run_scenario(
    name: str,
    seed: int,
    make_wiring: WiringFactory,
    *,
    keep_log: bool = True,
    replay_extra: str = "",
    adjust: Callable[[Plan], None] | None = None,
) -> tuple[Verdict, EventLog]:
    """One deterministic run; raises KeyError for an unknown scenario name. `adjust` changes
    the plan before the run (tests only: such a run is not replayable from the command line)."""
    plan = plan_for(name, seed)
    if adjust is not None:
        adjust(plan)
    sim = Simulation(name, seed, plan, make_wiring, keep_log=keep_log, replay_extra=replay_extra)
    return sim.run(), sim.log
