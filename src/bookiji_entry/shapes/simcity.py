"""SimCity's control surface: the daemon's configuration, status and synthetic tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, UnsetType

from bookiji_simcity.daemon_config import INTEGERS, LIMITS

MAX_TOKENS = 1000


def _setting(name: str, low: float, high: float) -> tuple[str, Any, Any]:
    kind = int if name in INTEGERS else float
    return (name, Annotated[kind, Meta(ge=low, le=high)] | UnsetType, UNSET)


# One optional field per setting the daemon knows, with its limits; any other is refused.
SimCityConfig = msgspec.defstruct(
    "SimCityConfig",
    [_setting(name, low, high) for name, (low, high) in LIMITS.items()],
    forbid_unknown_fields=True,
)


def changes(config: msgspec.Struct) -> dict[str, Any]:
    """The settings a SimCityConfig sets (the daemon checks them again)."""
    found = msgspec.structs.asdict(config)
    return {name: value for name, value in found.items() if value is not UNSET}


class SimCityStatus(msgspec.Struct, forbid_unknown_fields=True):
    """Running, rates, simulated time, counts."""

    running: bool
    simulated_time: datetime
    started_at: str | None
    rates: dict[str, int | float]
    config: dict[str, int | float]
    population: dict[str, Any]
    counts: dict[str, int]
    pending_moves: int
    faults_applied: bool
    # The service the synthetic people call over HTTP (BOOKIJI_SIMCITY_HTTP_URL), or None.
    front_door: str | None = None


class PopulationRequest(msgspec.Struct):
    tokens: Annotated[int, Meta(ge=1, le=MAX_TOKENS)] = 20


class SyntheticCustomer(msgspec.Struct):
    customer_id: str
    token: str


class Area(msgspec.Struct):
    latitude: float
    longitude: float
    radius_km: float


class Population(msgspec.Struct):
    """Synthetic customers with a token each, and where they live."""

    customers: list[SyntheticCustomer]
    area: Area
    service_types: list[str]
