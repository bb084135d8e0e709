"""Bugs SimCity found in the payments code and that are not fixed yet (reported to payments).

A run that breaks an invariant only in one of these ways is a known failure: the fuzz test
tolerates it and every other violation fails it. Each finding has a strict-xfail test that
replays its seed, so the day it is fixed the suite says so and the entry goes.
"""

from __future__ import annotations

import re

import attrs


@attrs.frozen
class Finding:
    id: str
    pattern: str
    summary: str
    scenario: str
    seed: int

    def matches(self, violation: str) -> bool:
        return re.search(self.pattern, violation) is not None


KNOWN: tuple[Finding, ...] = (
    Finding(
        "F1",
        r"is still (release|refund)_pending at rest",
        "A booking cancelled (or rolled back, or auto-cancelled) before its hold was ever "
        "placed keeps payment_status release_pending/refund_pending forever: the relay finds "
        "no intent at the provider, commits the message as NOTHING, and never tells the "
        "booking (OutboxRelay._record applies the booking only when the provider returned an "
        "intent).",
        "FUZZ",
        1,
    ),
    Finding(
        "F2",
        r"is confirmed but its fee was never captured",
        "A vendor confirms while the hold is failing (provider outage): the hold dead-letters, "
        "the capture finds no intent (IMPOSSIBLE, permanent) and marks the payment failed. "
        "After runbook Incident-001 drains the DLQ the hold is placed and the $1 captured, but "
        "apply_payment ignores a FAILED booking: it stays provider_confirmed, payment failed, "
        "with no receipt, while the customer was charged.",
        "FUZZ",
        173,
    ),
)


def unexplained(violations: tuple[str, ...] | list[str]) -> list[str]:
    return [v for v in violations if not any(f.matches(v) for f in KNOWN)]
