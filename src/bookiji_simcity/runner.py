"""Deterministic runs on virtual time: a seed and a scenario are a complete bug report.

The runner carries out a `Plan` against `Wiring` (bootstrap's services with a ManualClock and
the SimCity provider). Time jumps from one due thing to the next on a 0.25 s grid: an actor's
move, a relay round, a webhook delivery, an auto-cancel sweep. Everything due at one instant
runs as concurrent tasks under the seeded interleaver, so same-instant moves race. The
invariants are checked at every yield point; a run stops at the first violation. Every event
goes to the log, whose SHA-256 identifies the run.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from bookiji_adapters.memory import ManualClock
from bookiji_adapters.simcity import SimCityNotifier
from bookiji_core.errors import DomainError
from bookiji_core.payments import OutboxState
from bookiji_core.usecases.deliver_notifications import NotificationDelivery
from bookiji_simcity.faults import CrashPlan, SimulatedCrash, TransactionDepth, crashing
from bookiji_simcity.interleave import Interleaver, TaskResult
from bookiji_simcity.invariants import Snapshot, always, at_rest
from bookiji_simcity.operator import operate, reconciled, runbook_drain
from bookiji_simcity.outcome import Outcome, Verdict, replay_command
from bookiji_simcity.plan import START, Operator, Plan
from bookiji_simcity.population import daily_windows
from bookiji_simcity.rounds import notify_round, relay_round
from bookiji_simcity.tap import TappedGateway
from bookiji_simcity.timeline import HORIZON, MAX_STEPS, Timeline, on_grid, worker_wakes
from bookiji_simcity.traffic import Traffic
from bookiji_simcity.world import Actions, EventLog, WebhookEndpoint, WiringFactory

RUNBOOK_DRAINS = 2


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
        self.timeline = Timeline(self.clock)
        self.traffic = Traffic(self.actions, self.timeline, self.log.add, plan.replies.get)
        # Vendors confirm because they are told (the delivery worker, SimCity's notifier).
        self.notifier = SimCityNotifier(self.clock, start=START, outages=plan.mail_outages)
        self.notifier.subscribe(self.traffic.vendor_told)
        self.delivery = NotificationDelivery(
            uow(), self.notifier, self.clock, w.telemetry, owner="notify-1"
        )
        self.relays = [
            (
                f"relay-{n}",
                self.actions.relay(self.gateway, w.telemetry, f"relay-{n}", self._checkpoint),
            )
            for n in range(1, plan.relays + 1)
        ]
        self._violations: list[str] = []
        self._seen: tuple[int, int] = (-1, -1)
        self._steps = 0
        self._peak_dlq = 0
        self._drains = 0

    # -- the run -----------------------------------------------------------------------------

    def run(self) -> Verdict:
        try:
            return self._run()
        finally:
            self.wiring.close()

    def _run(self) -> Verdict:
        self._populate()
        for at, session in self.plan.sessions:
            self.timeline.at(
                at, f"{session.customer_id}:quote", partial(self.traffic.begin, session)
            )
        for op in self.plan.operators:
            self.timeline.at(op.at, f"operator:{op.name}", partial(self._operate, op))
        while not self._violations:
            wake = self.timeline.next_wake(self._wakes())
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

    def _step(self) -> None:
        now = self.clock.now()
        tasks = [
            (name, self._scoped(name.split(":")[0], action))
            for name, action in self.timeline.take_due(now)
        ]
        for worker in self.timeline.workers_due(now, self._wakes()):
            tasks += self._worker_tasks(worker)
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
                (name, self._scoped(name, partial(relay_round, relay, name, self.log.add)))
                for name, relay in self.relays
            ]
        if worker == "webhooks":
            return [(worker, self.provider.deliver_due)]  # each delivery scopes itself
        if worker == "notifications":
            deliver = partial(notify_round, self.delivery, "notify-1", self.log.add)
            return [(worker, self._scoped(worker, deliver))]
        return [(worker, self._scoped(worker, self._auto_cancel))]

    def _auto_cancel(self) -> None:
        cancelled = self.actions.auto_cancel()
        self.traffic.counts["auto_cancelled"] += len(cancelled)
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
        a = self.actions
        operate(op, self.traffic.bookings, a.uow, self.clock, a.ids, self.log.add)

    # -- time --------------------------------------------------------------------------------

    def _wakes(self) -> dict[str, datetime | None]:
        return worker_wakes(self.wiring.uow, self.provider)

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
            self.clock.set(on_grid(START + timedelta(seconds=recovery)))
            self.log.add("operator", "waits for the provider to recover before the DLQ drain")
            return True
        w = self.wiring
        if dead and self._drains < RUNBOOK_DRAINS:
            self._drains += 1
            runbook_drain(w.uow, self.clock, self.log.add)
            return True
        doubles = reconciled(w.uow, self.provider, self.clock, w.ids, w.telemetry, self.log.add)
        snap = Snapshot.take(w.uow, self.provider)
        found = at_rest(snap) + doubles
        outcome = Outcome(
            snapshot=snap,
            calls=self.gateway.calls,
            traffic=self.traffic,
            endpoint=self.endpoint,
            log=self.log,
            peak_dlq=self._peak_dlq,
            runbook_drains=self._drains,
            start=START,
            telemetry_counts=Counter(getattr(w.telemetry, "counts", {})),
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
