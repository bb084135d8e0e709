"""The simulated provider's faults: what can go wrong on a call, and when it strikes.

`FaultRates` are probabilities per call (502 before the effect, timeout after the effect,
slow answer) and per webhook (duplicate, late, out of order). Scripted faults (the gateway's
`inject`) are taken before the rates are consulted. All draws come from the gateway's seeded
`random.Random`, in the order the calls are made, so a seed replays the same faults.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable

import attrs

from bookiji_core.errors import RetryablePaymentError

# Reads fail only when a test scripts it: a provider's GETs are rarely where it breaks.
READS = ("retrieve", "intents_for_booking")


class Fault(enum.StrEnum):
    GATEWAY_502 = "gateway_502"  # refused before anything happened: safe to retry
    TIMEOUT_AFTER_EFFECT = "timeout_after_effect"  # it happened; the caller sees a timeout
    SLOW = "slow"  # answers after `FaultRates.slow_seconds` on the injected sleep


@attrs.define
class FaultRates:
    """Per-call probabilities of each fault. All zero: a well-behaved provider."""

    gateway_502: float = 0.0
    timeout_after_effect: float = 0.0
    slow: float = 0.0
    slow_seconds: float = 9.0
    # The caller's timeout: a slow answer longer than this reaches the caller as a timeout,
    # after the effect happened (DOMAIN.md SLOW_CONFIRM: 9 s against 8 s).
    timeout_seconds: float = 8.0
    webhook_duplicate: float = 0.0
    webhook_late: float = 0.0
    webhook_late_seconds: float = 60.0
    webhook_reorder: float = 0.0


Scripted = list[tuple[Fault, str | None]]


def next_fault(
    scripted: Scripted, rates: FaultRates, rng: random.Random, operation: str
) -> Fault | None:
    """The first scripted fault for `operation` (taken), else one drawn from the rates."""
    for index, (fault, wanted) in enumerate(scripted):
        if wanted is None or wanted == operation:
            del scripted[index]
            return fault
    draw = rng.random()
    for fault, rate in (
        (Fault.GATEWAY_502, rates.gateway_502),
        (Fault.TIMEOUT_AFTER_EFFECT, rates.timeout_after_effect),
        (Fault.SLOW, rates.slow),
    ):
        if draw < rate:
            return fault
        draw -= rate
    return None


def fault_before(
    scripted: Scripted, rates: FaultRates, rng: random.Random, operation: str
) -> Fault | None:
    """The fault of this call; a 502 is raised here, before anything happens."""
    if operation in READS and not any(wanted == operation for _, wanted in scripted):
        return None
    fault = next_fault(scripted, rates, rng, operation)
    if fault is Fault.GATEWAY_502:
        raise RetryablePaymentError(f"502 bad gateway from the provider during {operation}")
    return fault


def fault_after(fault: Fault | None, rates: FaultRates, sleep: Callable[[float], None]) -> None:
    """A timeout or a slow answer, after the effect took place."""
    if fault is Fault.TIMEOUT_AFTER_EFFECT:
        raise RetryablePaymentError("timed out waiting for the provider's answer")
    if fault is Fault.SLOW:
        sleep(rates.slow_seconds)
        if rates.slow_seconds > rates.timeout_seconds:
            raise RetryablePaymentError(
                f"the provider answered after {rates.slow_seconds:g} s, past the "
                f"{rates.timeout_seconds:g} s timeout"
            )
