"""Four relay processes over 2,000 hold messages on PostgreSQL, one SIGKILLed between a
provider call and its commit: every message is committed once, with one provider effect per
idempotency key.

The provider must be shared by the processes, as Stripe is: it is the SimCity gateway behind
a small HTTP server in this test process (bookiji_adapters.simcity.remote), whose effect log
sees every call from every relay. (localstripe ignores Idempotency-Key, so it could not tell a
repeated effect from a replay; our SimCity server keeps Stripe's documented semantics.)"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bookiji_adapters.simcity import SimCityPaymentGateway
from bookiji_adapters.simcity.remote import start_in_thread
from bookiji_adapters.sqlalchemy import SqlAlchemyStorage
from bookiji_adapters.system import SystemClock
from bookiji_core import OutboxState
from tests.integration.queued_holds import booking_id, seed_queued_holds

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

MESSAGES = 2000
RELAYS = 4
START = datetime.now(UTC).replace(microsecond=0)


def test_four_relays_one_killed_commit_every_message_once_with_one_effect_per_key(
    postgres_storage: SqlAlchemyStorage, postgres_url: str, tmp_path: Path
) -> None:
    seed_queued_holds(postgres_storage, range(MESSAGES), start=START, prefix="bk_mp")
    gateway = SimCityPaymentGateway(clock=SystemClock(), rng=random.Random(1))
    server = start_in_thread(gateway)
    provider = f"http://127.0.0.1:{server.server_address[1]}"
    logs = [tmp_path / f"relay-{n}.log" for n in range(RELAYS)]
    started = time.monotonic()
    command = [sys.executable, "-m", "tests.integration.relay_process", postgres_url, provider]
    procs = [
        subprocess.Popen(
            [*command, f"relay-{n}", str(logs[n]), *(["--die-after", "150"] if n == 0 else [])],
            cwd=Path(__file__).parents[2],
        )
        for n in range(RELAYS)
    ]
    codes = [proc.wait(timeout=600) for proc in procs]
    elapsed = time.monotonic() - started
    server.shutdown()

    assert codes[0] == -9 and codes[1:] == [0] * (RELAYS - 1)  # relay-0 was SIGKILLed
    with postgres_storage.unit_of_work() as uow:
        counts = uow.outbox.counts()
        committed = uow.outbox.list_by_state(OutboxState.COMMITTED, limit=MESSAGES + 1)
    assert counts[OutboxState.COMMITTED] == MESSAGES
    assert sum(counts.values()) == MESSAGES

    logged = Counter(line for log in logs for line in log.read_text().split())
    assert max(logged.values()) == 1, "a message was committed by two relays"
    assert set(logged) <= {m.id for m in committed}

    per_key = Counter(e.idempotency_key for e in gateway.effects)
    assert len(per_key) == MESSAGES and set(per_key.values()) == {1}
    with postgres_storage.unit_of_work() as uow:
        holds = sum(len(uow.ledger.for_booking(booking_id("bk_mp", n))) for n in range(MESSAGES))
    assert holds == MESSAGES

    by_relay = {log.stem: len(log.read_text().split()) for log in logs}
    retried = sum(m.attempts > 1 for m in committed)
    assert retried >= 1  # the message relay-0 died holding was taken over and finished
    assert retried >= 1  # the message relay-0 died holding was taken over and finished
    print(
        f"\n{MESSAGES} messages, {RELAYS} relays (relay-0 SIGKILLed after its 150th provider "
        f"call): {elapsed:.1f} s, {MESSAGES / elapsed:.0f} msg/s; committed per relay "
        f"{by_relay} (the killed one's last batch is in the database, not its log); "
        f"{retried} message(s) taken over after the kill; {len(gateway.effects)} provider "
        f"effects for {len(per_key)} keys"
    )
