"""Deterministic runs on virtual time: a seed and a scenario are a complete bug report.

The runner carries out a `Plan` against `Wiring` (bootstrap's services with a ManualClock and
the SimCity provider). Time jumps from one due thing to the next on a 0.25 s grid: an actor's
move, a relay round, a webhook delivery, an auto-cancel sweep. Everything due at one instant
runs as concurrent tasks under the seeded interleaver, so same-instant moves race. The
invariants are checked at every yield point; a run stops at the first violation. Every event
goes to the log, whose SHA-256 identifies the run.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

import attrs

from bookiji_adapters.memory import ManualClock
from bookiji_adapters.simcity.faults import (
    CrashPlan,
    SimulatedCrash,
    TransactionDepth,
    crashing,
)
from bookiji_adapters.simcity.gateway import Call, TappedGateway
from bookiji_adapters.simcity.interleave import Interleaver, TaskResult
from bookiji_adapters.simcity.invariants import EVERYTHING, Snapshot, always, at_rest
from bookiji_adapters.simcity.plan import START, Operator, Plan
from bookiji_adapters.simcity.population import daily_windows
from bookiji_adapters.simcity.traffic import Traffic
from bookiji_adapters.simcity.world import Actions, EventLog, WebhookEndpoint, Wiring
from bookiji_core.access import Principal, Role
from bookiji_core.errors import DomainError
from bookiji_core.payments import OutboxState
from bookiji_core.usecases import OutboxRelay, drain_dlq, reconcile, set_paused
from bookiji_core.usecases.outbox_ops import is_paused
from bookiji_core.usecases.rollback import roll_back_booking

TICK = 0.25
HORIZON = timedelta(hours=8)
MAX_STEPS = 20_000
RUNBOOK_DRAINS = 2
INTERVALS = {"relay": 0.5, "webhooks": 0.25, "auto-cancel": 1.0}
OPERATOR = Principal(Role.ADMIN, "simcity:operator")

WiringFactory = Callable[[ManualClock, int, timedelta], Wiring]
"""Builds the services for one run (virtual clock, seed, confirm window) through bootstrap."""


@attrs.frozen
class Verdict:
    scenario: str
    seed: int
    ok: bool
    sha256: str
    steps: int
    simulated_seconds: float
    violations: tuple[str, ...]
    replay: str
    counts: dict[str, int]

    def summary(self) -> str:
        word = "PASS" if self.ok else "FAIL"
        return (
            f"{word} {self.scenario} seed={self.seed} steps={self.steps} "
            f"simulated={self.simulated_seconds:.2f}s sha256={self.sha256}"
        )


@attrs.define
class Outcome:
    """What a scenario's own checks may look at once the run is at rest."""

    plan: Plan
    snapshot: Snapshot
    calls: list[Call]
    traffic: Traffic
    endpoint: WebhookEndpoint
    log: EventLog
    peak_dlq: int
    runbook_drains: int
    start: datetime
    telemetry_counts: Counter[tuple[str, ...]]
    crashes: list[str]

    def seconds(self, moment: datetime) -> float:
        return (moment - self.start).total_seconds()


@attrs.frozen(order=True)
class _Event:
    at: datetime
    seq: int
    name: str = attrs.field(order=False)
    action: Callable[[], object] = attrs.field(order=False, repr=False)


def replay_command(scenario: str, seed: int, extra: str = "") -> str:
    return f"bkctl simcity run --scenario {scenario} --seed {seed}{extra}"


class Simulation:
    def __init__(
        self,
        scenario: str,
        seed: int,
        plan: Plan,
        make_wiring: WiringFactory,
        *,
        keep_log: bool = True,
        replay_extra: str = "",
    ) -> None:
        self.scenario, self.seed, self.plan = scenario, seed, plan
        self.clock = ManualClock(START)
        self.wiring = make_wiring(self.clock, seed, plan.confirm_within)
        self.log = EventLog(self.clock, keep=keep_log)
        self._replay = replay_command(scenario, seed, replay_extra)
        rng = random.Random(f"simcity:{seed}:schedule")
        self.depth = TransactionDepth()
        self.interleaver = Interleaver(rng, self.depth)
        self.crash = CrashPlan(
            random.Random(f"simcity:{seed}:crash"),
            commit_rate=plan.commit_crash_rate,
            checkpoint_rate=plan.checkpoint_crash_rate,
            scripted=list(plan.crashes),
            log=lambda line: self.log.add("fault", line),
        )
        self.provider = self.wiring.gateway
        self.provider.rates = plan.rates
        for fault, operation, times in plan.scripted:
            self.provider.inject(fault, operation=operation, times=times)
        self.gateway = TappedGateway(
            self.provider, self.clock, self.interleaver.pause, self.log.add, plan.outages, START
        )
        uow = crashing(self.wiring.uow, self.crash, self.interleaver.pause, self.depth)
        w = self.wiring
        self.actions = Actions(
            uow=uow,
            clock=self.clock,
            ids=w.ids,
            policy=w.policy,
            confirm_within=plan.confirm_within,
            maps=w.maps,
        )
        self.endpoint = WebhookEndpoint(
            uow=uow,
            gateway=self.gateway,
            provider=self.provider,
            clock=self.clock,
            ids=w.ids,
            telemetry=w.telemetry,
            secret=w.webhook_secret,
            log=self.log.add,
            redeliver=plan.redeliver,
            scope=lambda: self.crash.scope("webhook"),
        )
        self.provider.subscribe(self.endpoint)
        self.traffic = Traffic(self.actions, self, self.log.add, plan.replies.get)
        self.relays = [
            (
                f"relay-{n}",
                self.actions.relay(self.gateway, w.telemetry, f"relay-{n}", self._checkpoint),
            )
            for n in range(1, plan.relays + 1)
        ]
        self._heap: list[_Event] = []
        self._seq = itertools.count()
        self._next_run: dict[str, datetime] = {}
        self._violations: list[str] = []
        self._seen: tuple[int, int] = (-1, -1)
        self._steps = 0
        self._peak_dlq = 0
        self._drains = 0

    # -- the Scheduler port of traffic -------------------------------------------------------

    def after(self, seconds: float, name: str, action: Callable[[], object]) -> None:
        at = self._grid(self.clock.now() + timedelta(seconds=seconds))
        heapq.heappush(self._heap, _Event(at, next(self._seq), name, action))

    def _grid(self, moment: datetime) -> datetime:
        ticks = math.ceil(round((moment - START).total_seconds() / TICK, 6))
        return START + timedelta(seconds=ticks * TICK)

    # -- the run -----------------------------------------------------------------------------

    def run(self) -> Verdict:
        try:
            return self._run()
        finally:
            self.wiring.close()

    def _run(self) -> Verdict:
        self._populate()
        for at, session in self.plan.sessions:
            self._at(at, f"{session.customer_id}:quote", partial(self.traffic.begin, session))
        for op in self.plan.operators:
            self._at(op.at, f"operator:{op.name}", partial(self._operate, op))
        while not self._violations:
            wake = self._next_wake()
            if wake is None:
                if self._closing():
                    continue
                break
            if wake - START > HORIZON or self._steps >= MAX_STEPS:
                self._fail([f"the world did not come to rest within {HORIZON}, {MAX_STEPS} steps"])
                break
            self.clock.set(max(wake, self.clock.now()))
            self._step()
        return self._verdict()

    def _populate(self) -> None:
        with self.wiring.uow() as uow:
            for vendor in self.plan.vendors:
                uow.vendors.add(vendor)
                for window in daily_windows(START, 4):
                    uow.vendors.add_window(vendor.id, window)
            for customer in self.plan.customers:
                uow.customers.add(customer)
            uow.commit()
        plan = self.plan
        self.log.add(
            "world",
            f"{self.scenario} seed {self.seed}: {len(plan.vendors)} vendors, "
            f"{len(plan.customers)} customers, "
            f"{len(plan.sessions)} sessions, confirm window {plan.confirm_within}",
        )

    def _at(self, seconds: float, name: str, action: Callable[[], object]) -> None:
        at = self._grid(START + timedelta(seconds=seconds))
        heapq.heappush(self._heap, _Event(at, next(self._seq), name, action))

    def _step(self) -> None:
        now = self.clock.now()
        tasks: list[tuple[str, Callable[[], object]]] = []
        while self._heap and self._heap[0].at <= now:
            event = heapq.heappop(self._heap)
            tasks.append((event.name, self._scoped(event.name.split(":")[0], event.action)))
        for worker, due in self._due(now).items():
            if due:
                tasks += self._worker_tasks(worker)
                self._next_run[worker] = now + timedelta(seconds=INTERVALS[worker])
        if not tasks:
            return
        self._steps += 1
        self.log.add("step", f"{self._steps}: {', '.join(name for name, _ in tasks)}")
        for result in self.interleaver.run(tasks, on_switch=self._check):
            self._judge(result)
        self._check()

    def _scoped(self, scope: str, action: Callable[[], object]) -> Callable[[], object]:
        def run() -> object:
            with self.crash.scope(scope):
                return action()

        return run

    def _worker_tasks(self, worker: str) -> list[tuple[str, Callable[[], object]]]:
        if worker == "relay":
            return [
                (name, self._scoped(name, partial(self._relay_round, relay, name)))
                for name, relay in self.relays
            ]
        if worker == "webhooks":
            return [(worker, self.provider.deliver_due)]  # each delivery scopes itself
        return [(worker, self._scoped(worker, self._auto_cancel))]

    def _relay_round(self, relay: OutboxRelay, name: str) -> None:
        report = relay.run_once()
        if report.claimed:
            self.log.add(
                name,
                f"claimed {report.claimed} committed {report.committed} retried "
                f"{report.retried} dead {report.dead} waited {report.waited} "
                f"lost {report.lost_lease}",
            )

    def _auto_cancel(self) -> None:
        cancelled = self.actions.auto_cancel()
        if cancelled:
            self.log.add("auto-cancel", f"cancelled {', '.join(cancelled)}")

    def _checkpoint(self, step: str) -> None:
        self.interleaver.pause()
        self.crash.at_checkpoint(step)

    def _judge(self, result: TaskResult) -> None:
        error = result.error
        if error is None:
            return
        if isinstance(error, SimulatedCrash):
            self.log.add(result.name, f"died: {error}")
        elif isinstance(error, DomainError):
            self.log.add(result.name, f"refused: {error.code}")
        else:
            self._fail([f"{result.name} raised {type(error).__name__}: {error}"])

    def _operate(self, op: Operator) -> None:
        """An operator's runbook command; only rollback for now (runbook rollback.md)."""
        if op.name != "rollback" or op.booking is None or op.booking >= len(self.traffic.bookings):
            self.log.add("operator", f"{op.name}: nothing to do")
            return
        target = self.traffic.bookings[op.booking]
        try:
            result = roll_back_booking(
                target, OPERATOR, "simcity drill", self.actions.uow(), self.clock, self.actions.ids
            )
        except DomainError as refusal:
            self.log.add("operator", f"rollback {target} refused: {refusal.code}")
            return
        self.log.add("operator", f"rolled back {target}: now {result.booking.state}")

    # -- time --------------------------------------------------------------------------------

    def _due(self, now: datetime) -> dict[str, bool]:
        return {
            name: wake is not None and wake <= now and self._next_run.get(name, START) <= now
            for name, wake in self._wakes().items()
        }

    def _wakes(self) -> dict[str, datetime | None]:
        """When each worker next has something to do (None: nothing)."""
        relay: list[datetime] = []
        with self.wiring.uow() as uow:
            if not is_paused(uow):  # a paused relay sleeps until resumed
                queued = uow.outbox.list_by_state(OutboxState.QUEUED, EVERYTHING)
                flying = uow.outbox.list_by_state(OutboxState.IN_FLIGHT, EVERYTHING)
                relay += [m.next_attempt_at for m in queued]
                relay += [m.lease_until for m in flying if m.lease_until is not None]
            due = uow.bookings.due_for_auto_cancel(START + HORIZON * 100, 1)
            first = uow.bookings.get(due[0]) if due else None
        return {
            "relay": min(relay, default=None),
            "webhooks": min((p.due_at for p in self.provider.pending), default=None),
            "auto-cancel": first.hold_expires_at if first is not None else None,
        }

    def _next_wake(self) -> datetime | None:
        candidates = [self._heap[0].at] if self._heap else []
        for name, wake in self._wakes().items():
            if wake is not None:
                candidates.append(max(wake, self._next_run.get(name, START)))
        if not candidates:
            return None
        return self._grid(max(min(candidates), self.clock.now()))

    # -- invariants and the end --------------------------------------------------------------

    def _check(self) -> None:
        seen = (self.crash.commits, len(self.provider.effects))
        if seen == self._seen or self._violations:
            return
        self._seen = seen
        snap = Snapshot.take(self.wiring.uow, self.provider)
        self._peak_dlq = max(self._peak_dlq, snap.count(OutboxState.DLQ))
        found = always(snap, self.plan.dlq_bound) + [
            f"webhook {e} was applied twice: de-duplication failed"
            for e in self.endpoint.applied_twice()
        ]
        if found:
            self._fail(found)

    def _fail(self, found: list[str]) -> None:
        for violation in found:
            self.log.add("VIOLATION", violation)
        self._violations.extend(found)

    def _closing(self) -> bool:
        """At rest: drain the DLQ once the provider is back (runbook Incident-001), then judge."""
        with self.wiring.uow() as uow:
            dead = uow.outbox.counts().get(OutboxState.DLQ, 0)
        recovery = max((end for _, end in self.plan.outages), default=0.0)
        if dead and self.clock.now() < START + timedelta(seconds=recovery):
            self.clock.set(self._grid(START + timedelta(seconds=recovery)))
            self.log.add("operator", "waits for the provider to recover before the DLQ drain")
            return True
        if dead and self._drains < RUNBOOK_DRAINS:
            self._drains += 1
            make = self.wiring.uow
            set_paused(make(), self.clock, True)
            drained = drain_dlq(make(), self.clock)
            set_paused(make(), self.clock, False)
            self.log.add(
                "operator",
                f"runbook Incident-001: paused, drained {len(drained)} from the DLQ, resumed",
            )
            return True
        report = reconcile(
            self.wiring.uow(), self.provider, self.clock, self.wiring.ids, self.wiring.telemetry
        )
        self.log.add(
            "reconcile",
            f"{report.bookings_checked} bookings, {report.double_charges} double charges, "
            f"{len(report.mismatches)} mismatches",
        )
        snap = Snapshot.take(self.wiring.uow, self.provider)
        found = at_rest(snap)
        if report.double_charges:
            found.append(f"reconciliation counts {report.double_charges} double charges")
        outcome = Outcome(
            plan=self.plan,
            snapshot=snap,
            calls=self.gateway.calls,
            traffic=self.traffic,
            endpoint=self.endpoint,
            log=self.log,
            peak_dlq=self._peak_dlq,
            runbook_drains=self._drains,
            start=START,
            telemetry_counts=Counter(getattr(self.wiring.telemetry, "counts", {})),
            crashes=list(self.crash.crashed),
        )
        for check in self.plan.checks:
            found += check(outcome)
        if found:
            self._fail(found)
        return False

    def _verdict(self) -> Verdict:
        ok = not self._violations
        self.log.add("verdict", "ok" if ok else f"failed: {len(self._violations)} violations")
        return Verdict(
            scenario=self.scenario,
            seed=self.seed,
            ok=ok,
            sha256=self.log.sha256,
            steps=self._steps,
            simulated_seconds=(self.clock.now() - START).total_seconds(),
            violations=tuple(self._violations),
            replay=self._replay,
            counts=dict(sorted(self.traffic.counts.items())),
        )
