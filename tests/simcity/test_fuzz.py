"""Fuzzing: random fault schedules over a few hundred seeds, and proof that it catches bugs.

The mutation tests plant a bug the way a careless change would (the webhook inbox forgets
events; the relay acts without reading the provider first) and check that the fuzzer and
the scenarios find it, and that the replay command reproduces the failing run exactly.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import attrs
import pytest

from bookiji_adapters.memory import outbox as memory_outbox
from bookiji_core.booking import Booking
from bookiji_core.payment_decisions import ProviderCall
from bookiji_core.payments import OutboxMessage
from bookiji_core.ports import PaymentGateway
from bookiji_core.usecases import relay_delivery
from bookiji_entry.cli._simcity_runs import run_one
from bookiji_simcity.fuzz import fuzz
from bookiji_simcity.plan import Plan

from .conftest import RunScenario, explain, seeds
from .findings import KNOWN

CI_SEEDS = 300


@pytest.mark.simcity
def test_a_few_hundred_random_fault_schedules_break_no_invariant(
    simcity_run: RunScenario,
) -> None:
    chosen = seeds("SIM_FUZZ")
    start, count = chosen[0], len(chosen)
    assert count == CI_SEEDS
    jobs = min(2, os.cpu_count() or 1)
    report = fuzz(range(start, start + count), partial(run_one, "FUZZ", "memory"), jobs=jobs)

    # No finding is tolerated here (findings.py): every broken invariant fails the test.
    if report.failures:
        seed = min(v.seed for v in report.failures)
        verdict, log = simcity_run("FUZZ", seed)
        failed = len(report.failures)
        pytest.fail(f"{failed} seeds broke invariants; first:\n{explain(verdict, log)}")


# With no open finding (F1 and F2 fixed), the replay test has nothing to pin: one skip says so.
NO_OPEN_FINDING = pytest.param(
    None, id="none", marks=pytest.mark.skip(reason="no open SimCity finding")
)


@pytest.mark.parametrize("finding", KNOWN or [NO_OPEN_FINDING], ids=lambda f: getattr(f, "id", ""))
@pytest.mark.xfail(strict=True, reason="known finding, reported to payments; see findings.py")
def test_known_finding_is_fixed(simcity_run: RunScenario, finding: object) -> None:
    """Fails (XFAIL) while the bug is there; passes, and so breaks strict xfail, once fixed."""
    verdict, _log = simcity_run(finding.scenario, finding.seed)  # type: ignore[attr-defined]
    assert not any(finding.matches(v) for v in verdict.violations)  # type: ignore[attr-defined]


# -- planted bugs ----------------------------------------------------------------------------


@pytest.fixture
def dedupe_disabled(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The webhook inbox forgets every event: a redelivery is applied again."""
    monkeypatch.setattr(memory_outbox.InMemoryWebhookInbox, "get", lambda self, event_id: None)
    monkeypatch.setattr(memory_outbox.InMemoryWebhookInbox, "add", lambda self, event: True)
    yield


@pytest.fixture
def forgetful_relay(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The relay neither looks for a hold an earlier attempt placed nor keeps its key: a
    retry after a timeout places a second hold. (The key is payment_decisions' business, so
    the forgetting is planted where the relay takes its call from.)"""
    monkeypatch.setattr(relay_delivery, "_current_intent", _only_recorded)
    monkeypatch.setattr(relay_delivery, "plan_call", _key_per_call(relay_delivery.plan_call))
    yield


def _only_recorded(message: OutboxMessage, booking: Booking, gateway: PaymentGateway) -> object:
    intent_id = message.command.intent_id or booking.payment_intent_id
    return None if intent_id is None else gateway.retrieve(intent_id)


def _key_per_call(plan: Callable[..., ProviderCall]) -> Callable[..., ProviderCall]:
    calls = itertools.count(1)

    def forgetful(*args: Any, **kwargs: Any) -> ProviderCall:
        call = plan(*args, **kwargs)
        return attrs.evolve(call, key=f"{call.key}:{next(calls)}")

    return forgetful


def test_the_webhook_scenario_catches_a_disabled_dedupe(
    dedupe_disabled: None, simcity_run: RunScenario
) -> None:
    verdict, log = simcity_run("FLAKY_WEBHOOK", seeds("E2E_WEBHOOK_REDELIVERY")[0])

    assert not verdict.ok
    assert any("applied twice" in v for v in verdict.violations), explain(verdict, log)


def test_fuzz_finds_a_disabled_dedupe_and_its_seed_replays_to_the_same_log(
    dedupe_disabled: None, simcity_run: RunScenario
) -> None:
    report = fuzz(range(1, 101), partial(run_one, "FUZZ", "memory"))
    caught = [v for v in report.failures if any("applied twice" in x for x in v.violations)]
    assert caught, "100 fuzz seeds did not notice webhooks applied twice"

    first = caught[0]
    assert first.replay == f"bkctl simcity run --scenario FUZZ --seed {first.seed}"
    again, _log = simcity_run("FUZZ", first.seed)
    assert (again.ok, again.sha256, again.violations) == (False, first.sha256, first.violations)


def test_the_psp_timeout_scenario_catches_a_relay_that_places_a_second_hold(
    forgetful_relay: None, simcity_run: RunScenario
) -> None:
    def late_webhooks(plan: Plan) -> None:
        # The webhooks would otherwise tell the booking its intent before the relay retries,
        # and hide the bug; a late webhook is one of SimCity's ordinary faults.
        plan.rates.webhook_late = 1.0

    seed = seeds("SIM_PSP_TIMEOUT_AFTER_SUCCESS")[0]
    verdict, log = simcity_run("PSP_TIMEOUT_AFTER_SUCCESS", seed, adjust=late_webhooks)

    assert not verdict.ok
    assert any("leaves a live hold" in v for v in verdict.violations), explain(verdict, log)
