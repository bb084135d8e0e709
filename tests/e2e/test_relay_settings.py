"""A deployer sizes the relay from the environment: BOOKIJI_OUTBOX_BATCH (messages claimed and
recorded per transaction) and BOOKIJI_OUTBOX_PARALLEL (provider calls in flight at once)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from bookiji_adapters.memory.outbox import InMemoryOutbox
from bookiji_entry.settings import Settings, SettingsError
from bookiji_entry.workers import Copy
from bookiji_entry.workers.outbox import build_relay
from tests.payments_world import PaymentWorld


def test_the_relay_claims_and_calls_as_the_environment_asks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = PaymentWorld()
    booked = [world.book() for _ in range(5)]
    settings = Settings.from_env({"BOOKIJI_OUTBOX_BATCH": "2", "BOOKIJI_OUTBOX_PARALLEL": "3"})
    assert (settings.outbox_batch, settings.outbox_parallel) == (2, 3)
    limits: list[int] = []
    claim_due = InMemoryOutbox.claim_due

    def recorded_claim(self: InMemoryOutbox, *args: Any, **kwargs: Any) -> Any:
        limits.append(kwargs["limit"])
        return claim_due(self, *args, **kwargs)

    monkeypatch.setattr(InMemoryOutbox, "claim_due", recorded_claim)
    threads: list[str] = []
    place_hold = world.gateway.place_hold

    def recorded_hold(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return place_hold(*args, **kwargs)

    monkeypatch.setattr(world.gateway, "place_hold", recorded_hold)
    copy = Copy("outbox", "test-host", 1)
    tick = build_relay(
        world.storage.unit_of_work, world.gateway, world.clock, world.telemetry, settings, copy
    )

    tick()

    assert limits[:3] == [2, 2, 2]  # 5 messages: batches of 2, 2 and 1, then an empty claim
    assert len(threads) == len(booked)
    assert all(name.startswith("relay-") for name in threads[:4])  # a pair's calls: the pool
    assert all(world.booking(b).payment_status.value == "held" for b in booked)
    assert all(n == 1 for n in world.gateway.effects_per_key().values())


def test_the_defaults_are_a_batch_of_20_in_order() -> None:
    settings = Settings.from_env({})
    assert (settings.outbox_batch, settings.outbox_parallel) == (20, 1)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BOOKIJI_OUTBOX_BATCH", "0"),
        ("BOOKIJI_OUTBOX_PARALLEL", "65"),
        ("BOOKIJI_OUTBOX_BATCH", "x"),
    ],
)
def test_a_relay_size_out_of_bounds_is_refused(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})
