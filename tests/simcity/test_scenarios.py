"""The failure modes of DOMAIN.md, the races and the runbook drills, each run by SimCity's
deterministic runner on the seeds tests_manifest.yml names for it.

A run passes when it breaks no invariant (checked after every step and at rest) and meets its
scenario's own checks; violations that are known, reported bugs (findings.py) are tolerated
here and pinned by their own strict-xfail tests.
"""

from __future__ import annotations

import pytest

from .conftest import RunScenario, explain, seeds
from .findings import unexplained


def passes(simcity_run: RunScenario, scenario: str, seed: int) -> None:
    verdict, log = simcity_run(scenario, seed)
    assert not unexplained(verdict.violations), explain(verdict, log)


@pytest.mark.simcity
@pytest.mark.parametrize("seed", seeds("E2E_SLOW_CONFIRM_AUTOCANCEL"))
def test_a_vendor_answering_after_9_s_against_an_8_s_window_is_auto_cancelled_and_released(
    simcity_run: RunScenario, seed: int
) -> None:
    passes(simcity_run, "SLOW_CONFIRM", seed)


@pytest.mark.simcity
@pytest.mark.parametrize("seed", seeds("E2E_TIMEOUT_AUTOCANCEL"))
def test_a_vendor_who_never_answers_is_auto_cancelled_after_t_and_released(
    simcity_run: RunScenario, seed: int
) -> None:
    passes(simcity_run, "TIMEOUT", seed)


@pytest.mark.simcity
@pytest.mark.parametrize("seed", seeds("E2E_ROLLBACK_TIMEOUT"))
def test_an_operator_rollback_releases_a_silent_vendors_hold_and_refunds_a_captured_fee(
    simcity_run: RunScenario, seed: int
) -> None:
    passes(simcity_run, "ROLLBACK_TIMEOUT", seed)


@pytest.mark.simcity
@pytest.mark.parametrize("seed", seeds("E2E_WEBHOOK_REDELIVERY"))
def test_a_webhook_redelivered_three_times_is_skipped_with_one_charge_and_one_receipt(
    simcity_run: RunScenario, seed: int
) -> None:
    passes(simcity_run, "FLAKY_WEBHOOK", seed)


@pytest.mark.simcity
@pytest.mark.parametrize("seed", seeds("SIM_GATEWAY_502"))
def test_transient_502s_are_retried_after_1_2_4_s_and_take_effect_exactly_once(
    simcity_run: RunScenario, seed: int
) -> None:
    passes(simcity_run, "GATEWAY_502", seed)


@pytest.mark.simcity
@pytest.mark.parametrize("seed", seeds("SIM_DOUBLE_BOOKING_RACE"))
def test_customers_racing_for_one_slot_get_one_booking_and_clean_slot_taken_refusals(
    simcity_run: RunScenario, seed: int
) -> None:
    passes(simcity_run, "DOUBLE_BOOKING_RACE", seed)


@pytest.mark.simcity
@pytest.mark.parametrize("seed", seeds("SIM_CANCEL_REBOOK_RACE"))
def test_a_cancel_racing_the_vendor_and_an_immediate_rebook_never_double_book_or_charge(
    simcity_run: RunScenario, seed: int
) -> None:
    passes(simcity_run, "CANCEL_REBOOK_RACE", seed)


@pytest.mark.simcity
@pytest.mark.parametrize("seed", seeds("SIM_PSP_TIMEOUT_AFTER_SUCCESS"))
def test_provider_timeouts_after_the_effect_are_retried_without_a_second_effect(
    simcity_run: RunScenario, seed: int
) -> None:
    passes(simcity_run, "PSP_TIMEOUT_AFTER_SUCCESS", seed)


@pytest.mark.simcity
@pytest.mark.parametrize("seed", seeds("SIM_RELAY_CRASH"))
def test_relays_dying_between_any_two_steps_leave_every_payment_done_exactly_once(
    simcity_run: RunScenario, seed: int
) -> None:
    passes(simcity_run, "RELAY_CRASH", seed)


@pytest.mark.simcity
@pytest.mark.parametrize("seed", seeds("SIM_DLQ_GROWTH"))
def test_an_outage_fills_a_bounded_dlq_that_the_incident_001_drain_empties(
    simcity_run: RunScenario, seed: int
) -> None:
    passes(simcity_run, "DLQ_GROWTH", seed)


@pytest.mark.simcity
@pytest.mark.parametrize("seed", seeds("SIM_MAIL_OUTAGE"))
def test_a_mail_outage_tells_the_vendors_late_through_retries_and_they_still_confirm(
    simcity_run: RunScenario, seed: int
) -> None:
    passes(simcity_run, "MAIL_OUTAGE", seed)
