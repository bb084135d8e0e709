"""The daemon's settings: population, rates and fault probabilities, and their limits."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs

from bookiji_adapters.simcity import FaultRates
from bookiji_core.errors import InvalidInput

LIMITS: dict[str, tuple[float, float]] = {
    "customers": (1, 10_000),
    "vendors": (1, 2_000),
    "sessions_per_second": (0, 50),
    "cancel_probability": (0, 1),
    "double_submit_probability": (0, 1),
    "declined_card_probability": (0, 1),
    "slow_vendors": (0, 1),
    "never_vendors": (0, 1),
    "gateway_502": (0, 1),
    "timeout_after_effect": (0, 1),
    "slow_provider": (0, 1),
    "webhook_duplicate": (0, 1),
    "webhook_late": (0, 1),
    "webhook_reorder": (0, 1),
}
INTEGERS = frozenset({"customers", "vendors"})


@attrs.frozen
class DaemonConfig:
    """Population, rates and fault probabilities; `POST /api/simcity/config` changes them."""

    customers: int = 200
    vendors: int = 80
    sessions_per_second: float = 2.0
    cancel_probability: float = 0.1
    double_submit_probability: float = 0.02
    declined_card_probability: float = 0.01
    slow_vendors: float = 0.15
    never_vendors: float = 0.05
    gateway_502: float = 0.0
    timeout_after_effect: float = 0.0
    slow_provider: float = 0.0
    webhook_duplicate: float = 0.0
    webhook_late: float = 0.0
    webhook_reorder: float = 0.0

    def changed(self, body: Mapping[str, Any]) -> DaemonConfig:
        """This config with `body`'s fields changed; InvalidInput names the first bad field."""
        unknown = sorted(set(body) - set(LIMITS))
        if unknown:
            raise InvalidInput(unknown[0], f"unknown setting {unknown[0]!r}; known: {_known()}")
        values: dict[str, Any] = {}
        for name, value in body.items():
            low, high = LIMITS[name]
            is_number = isinstance(value, int | float) and not isinstance(value, bool)
            if not is_number or not math.isfinite(value) or not low <= value <= high:
                raise InvalidInput(name, f"{name} must be a number in [{low:g}, {high:g}]")
            if name in INTEGERS and value != int(value):
                raise InvalidInput(name, f"{name} must be a whole number")
            values[name] = int(value) if name in INTEGERS else float(value)
        config = attrs.evolve(self, **values)
        if config.slow_vendors + config.never_vendors > 1:
            raise InvalidInput("slow_vendors", "slow_vendors + never_vendors must be at most 1")
        if config.gateway_502 + config.timeout_after_effect + config.slow_provider > 1:
            raise InvalidInput("gateway_502", "the provider's fault probabilities exceed 1")
        return config

    def rates(self) -> FaultRates:
        return FaultRates(
            gateway_502=self.gateway_502,
            timeout_after_effect=self.timeout_after_effect,
            slow=self.slow_provider,
            webhook_duplicate=self.webhook_duplicate,
            webhook_late=self.webhook_late,
            webhook_reorder=self.webhook_reorder,
        )


def _known() -> str:
    return ", ".join(sorted(LIMITS))
