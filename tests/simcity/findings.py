"""Bugs SimCity found and that are not fixed yet: none at the moment.

A scenario run that breaks an invariant only in one of the ways listed in KNOWN is a known
failure, tolerated by the scenario tests (every other violation fails them). A finding listed
here gets a strict-xfail test that replays its seed, so the day it is fixed the suite says so
and the entry goes. The CI fuzz test tolerates nothing.

F1 (a booking cancelled before its hold was placed stayed release_pending) and F2 (a capture
after the DLQ drain left a failed, receipt-less booking) were fixed in commits f5a1b9f and
0f280ef; see docs/simcity.md.
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


KNOWN: tuple[Finding, ...] = ()


def unexplained(violations: tuple[str, ...] | list[str]) -> list[str]:
    return [v for v in violations if not any(f.matches(v) for f in KNOWN)]
