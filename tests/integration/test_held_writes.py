"""The relay records a batch in a fixed number of statements, whatever its size, on both
databases (held.py): its bookings, outbox rows and ledger entries each go in one executemany.
The history chains still verify and every message is committed once."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from bookiji_adapters.memory import InMemoryTelemetry, ManualClock
from bookiji_adapters.simcity import SimCityPaymentGateway
from bookiji_adapters.sqlalchemy import SqlAlchemyStorage
from bookiji_core import OutboxState, PaymentStatus
from bookiji_core.usecases import OutboxRelay, RelaySettings
from tests.integration.queued_holds import booking_id, seed_queued_holds
from tests.unit.conftest import NOW


@contextmanager
def _statements(storage: SqlAlchemyStorage) -> Iterator[Counter[str]]:
    counts: Counter[str] = Counter()

    def count(*args: Any) -> None:
        counts[args[2].split()[0]] += 1  # the statement's verb

    event.listen(storage.engine, "before_cursor_execute", count)
    try:
        yield counts
    finally:
        event.remove(storage.engine, "before_cursor_execute", count)


def _relay_round(storage: SqlAlchemyStorage, gateway: SimCityPaymentGateway, size: int) -> int:
    relay = OutboxRelay(
        storage.unit_of_work(),
        gateway,
        ManualClock(NOW),
        InMemoryTelemetry(),
        owner="r1",
        settings=RelaySettings(batch=size),
    )
    report = relay.run_once()
    assert (report.claimed, report.committed) == (size, size)
    return report.committed


def test_a_relay_round_costs_the_same_statements_for_5_messages_as_for_39(
    sql_storage: SqlAlchemyStorage,
) -> None:
    gateway = SimCityPaymentGateway(clock=ManualClock(NOW), rng=random.Random(1))
    seed_queued_holds(sql_storage, range(1), start=NOW)
    _relay_round(sql_storage, gateway, 1)  # the first ledger entry also makes its chain head
    seed_queued_holds(sql_storage, range(1, 6), start=NOW)
    with _statements(sql_storage) as small:
        _relay_round(sql_storage, gateway, 5)
    seed_queued_holds(sql_storage, range(6, 45), start=NOW)
    with _statements(sql_storage) as large:
        _relay_round(sql_storage, gateway, 39)
    assert large == small, (small, large)
    assert small["UPDATE"] <= 6  # claim, bookings, outbox, the ledger's head (one each)

    with sql_storage.unit_of_work() as uow:
        assert uow.outbox.counts()[OutboxState.COMMITTED] == 45
        held = uow.bookings.get_many([booking_id("bk", n) for n in range(45)])
        assert {b.payment_status for b in held.values()} == {PaymentStatus.HELD}
        assert {b.version for b in held.values()} == {2}
        entries = [e for n in range(45) for e in uow.ledger.for_booking(booking_id("bk", n))]
    assert len(entries) == 45
    per_key = Counter(e.idempotency_key for e in gateway.effects)
    assert len(per_key) == 45 and set(per_key.values()) == {1}  # one effect per key
    assert len(gateway.effects) == 45
    assert [r for r in sql_storage.verify_history() if r.problem] == []
