"""SimCity's vendors confirm because they were told: the notification outbox, its delivery
worker and SimCity's notifier stand between a booking and the vendor's answer."""

from __future__ import annotations

from typing import Any

from bookiji_simcity.plan import Plan


def mail_down(plan: Plan) -> None:
    plan.mail_outages.append((0.0, 24 * 3600.0))


def test_a_told_vendor_confirms_after_being_told(simcity_run: Any) -> None:
    verdict, log = simcity_run("HAPPY", 1)

    assert verdict.ok, verdict.violations
    assert verdict.counts["vendor_told"] == verdict.counts["vendor_confirmed"] == 1
    told = next(i for i, line in enumerate(log.lines) if " told of " in line)
    confirmed = next(i for i, line in enumerate(log.lines) if " confirmed bk_" in line)
    assert told < confirmed


def test_a_vendor_never_told_never_confirms_and_the_booking_is_auto_cancelled(
    simcity_run: Any,
) -> None:
    verdict, log = simcity_run("HAPPY", 1, adjust=mail_down)

    assert verdict.counts.get("vendor_told", 0) == 0
    assert verdict.counts.get("vendor_confirmed", 0) == 0
    assert verdict.counts["auto_cancelled"] == verdict.counts["booked"] == 1
    assert any("dead 1" in line for line in log.lines if "notify-1" in line)  # its DLQ
