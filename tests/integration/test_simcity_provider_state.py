"""SimCity's provider kept in the database (the local profile's): a restart forgets nothing,
every gateway on one database is one provider, and one idempotency key makes one effect
however many threads or processes race with it."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bookiji_adapters.memory import ManualClock
from bookiji_adapters.simcity import SimCityPaymentGateway
from bookiji_adapters.simcity.sql_state import SqlAlchemyProviderState
from bookiji_adapters.simcity.sql_tables import (
    simcity_effects,
    simcity_idempotency_keys,
    simcity_intents,
    simcity_webhooks,
)
from bookiji_adapters.sqlalchemy import SqlAlchemyStorage
from bookiji_adapters.sqlalchemy.engine import create_storage_engine
from bookiji_adapters.stripe.webhooks import verified_event
from bookiji_core.errors import PermanentPaymentError, RetryablePaymentError
from bookiji_core.payments import IntentStatus
from bookiji_core.values import BookingId, Money

FEE = Money("CAD", 100)
START = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
SECRET = "whsec_test"
BOOKING = BookingId("bk_0001")

Gateways = Callable[..., SimCityPaymentGateway]


@pytest.fixture
def url(sql_storage: SqlAlchemyStorage) -> str:
    return sql_storage.url.render_as_string(hide_password=False)


@pytest.fixture
def gateway_on(url: str) -> Iterator[Gateways]:
    """A new gateway over the database with its own engine, as another process would have."""
    states: list[SqlAlchemyProviderState] = []

    def make(clock: ManualClock, prefix: str = "sim") -> SimCityPaymentGateway:
        states.append(SqlAlchemyProviderState(create_storage_engine(url)))
        return SimCityPaymentGateway(
            clock=clock,
            rng=random.Random(1),
            webhook_secret=SECRET,
            id_prefix=prefix,
            state=states[-1],
        )

    yield make
    for state in states:
        state.dispose()


def ended(gateway: SimCityPaymentGateway) -> None:
    """The process is gone: nothing of it is left in memory or in its connections."""
    assert isinstance(gateway.state, SqlAlchemyProviderState)
    gateway.state.dispose()


def test_a_gateway_built_anew_over_the_database_sees_the_intents_and_replays_the_keys(
    gateway_on: Gateways,
) -> None:
    clock = ManualClock(START)
    before = gateway_on(clock)
    hold = before.place_hold(FEE, "pm_card_visa", BOOKING, "k-hold")
    captured = before.capture(hold.id, "k-capture")
    with pytest.raises(PermanentPaymentError, match="declined"):
        before.place_hold(FEE, "pm_card_chargeDeclined", BookingId("bk_0002"), "k-declined")
    ended(before)

    after = gateway_on(clock, "other")
    assert after.retrieve(hold.id) == captured
    assert after.intents_for_booking(BOOKING) == [captured]
    assert after.place_hold(FEE, "pm_card_visa", BOOKING, "k-hold") == hold
    assert after.capture(hold.id, "k-capture") == captured
    with pytest.raises(PermanentPaymentError, match="declined"):
        after.place_hold(FEE, "pm_card_chargeDeclined", BookingId("bk_0002"), "k-declined")
    with pytest.raises(PermanentPaymentError, match="idempotency_error"):
        after.place_hold(Money("CAD", 200), "pm_card_visa", BOOKING, "k-hold")
    assert [(e.operation, e.idempotency_key) for e in after.effects] == [
        ("place_hold", "k-hold"),
        ("capture", "k-capture"),
    ]


def test_a_saved_key_lasts_24_hours_across_a_restart_and_then_acts_again(
    gateway_on: Gateways,
) -> None:
    clock = ManualClock(START)
    first = gateway_on(clock).place_hold(FEE, "pm_card_visa", BOOKING, "k-hold")
    clock.advance(timedelta(hours=23, minutes=59))
    assert gateway_on(clock).place_hold(FEE, "pm_card_visa", BOOKING, "k-hold") == first

    clock.advance(timedelta(minutes=2))
    again = gateway_on(clock).place_hold(FEE, "pm_card_visa", BOOKING, "k-hold")
    assert again.id != first.id
    assert gateway_on(clock).effects_per_key()["k-hold"] == 2


def test_an_effect_by_one_gateway_is_seen_by_another_on_the_same_database(
    gateway_on: Gateways,
) -> None:
    clock = ManualClock(START)
    server, worker = gateway_on(clock), gateway_on(clock)
    hold = server.place_hold(FEE, "pm_card_visa", BOOKING, "k-hold")
    worker.capture(hold.id, "k-capture")
    server.refund(hold.id, FEE, "k-refund")
    other = worker.place_hold(FEE, "pm_card_visa", BookingId("bk_0002"), "k-hold-2")

    seen = worker.retrieve(hold.id)
    assert (seen.status, seen.amount_captured, seen.amount_refunded) == (
        IntentStatus.SUCCEEDED,
        100,
        100,
    )
    assert other.id != hold.id  # one numbering for the whole provider, whatever the prefix
    assert server.all_intents() == worker.all_intents()
    assert server.effects_per_key() == {"k-hold": 1, "k-capture": 1, "k-refund": 1, "k-hold-2": 1}


def test_the_webhooks_queued_before_a_restart_are_delivered_after_it_signed(
    gateway_on: Gateways,
) -> None:
    clock = ManualClock(START)
    before = gateway_on(clock)
    hold = before.place_hold(FEE, "pm_card_visa", BOOKING, "k-hold")
    before.capture(hold.id, "k-capture")
    ended(before)

    after = gateway_on(clock)
    received: list[str] = []

    def endpoint(payload: bytes, header: str) -> None:
        event = verified_event(payload, header, SECRET, now=clock.now().timestamp())
        received.append(event.type)

    after.subscribe(endpoint)
    assert after.deliver_due() == 2
    assert received == ["payment_intent.amount_capturable_updated", "payment_intent.succeeded"]
    assert after.pending == [] and after.deliver_due() == 0


def test_a_failed_delivery_is_retried_30_s_later_by_any_process(gateway_on: Gateways) -> None:
    clock = ManualClock(START)
    failing, healthy = gateway_on(clock), gateway_on(clock)

    def refuse(_payload: bytes, _header: str) -> None:
        raise RuntimeError("503 from the endpoint")

    failing.subscribe(refuse)
    received: list[bytes] = []
    healthy.subscribe(lambda payload, _header: received.append(payload))
    failing.place_hold(FEE, "pm_card_visa", BOOKING, "k-hold")

    assert failing.deliver_due() == 1 and failing.failed_deliveries == 1
    assert healthy.deliver_due() == 0  # not due yet
    clock.advance(timedelta(seconds=30))
    assert healthy.deliver_due() == 1
    assert [json.loads(p)["type"] for p in received] == ["payment_intent.amount_capturable_updated"]


def test_each_queued_webhook_goes_to_one_of_several_deliverers(gateway_on: Gateways) -> None:
    clock = ManualClock(START)
    maker = gateway_on(clock)
    for n in range(20):
        maker.place_hold(FEE, "pm_card_visa", BookingId(f"bk_{n:04d}"), f"k-{n}")
    delivered: list[str] = []
    lock = threading.Lock()

    def record(payload: bytes, _header: str) -> None:
        with lock:
            delivered.append(json.loads(payload)["id"])

    deliverers = [gateway_on(clock) for _ in range(4)]
    for deliverer in deliverers:
        deliverer.subscribe(record)
    start = threading.Barrier(len(deliverers))

    def drain(gateway: SimCityPaymentGateway) -> None:
        start.wait()
        while gateway.deliver_due():
            pass

    threads = [threading.Thread(target=drain, args=(d,)) for d in deliverers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(delivered) == [f"evt_sim_{n:06d}" for n in range(1, 21)]
    assert maker.pending == []


def test_threads_racing_with_one_key_through_their_own_gateways_make_one_effect(
    gateway_on: Gateways,
) -> None:
    clock = ManualClock(START)
    gateways = [gateway_on(clock) for _ in range(8)]
    start = threading.Barrier(len(gateways))
    ids: list[str] = []

    def hold(gateway: SimCityPaymentGateway) -> None:
        start.wait()
        ids.append(gateway.place_hold(FEE, "pm_card_visa", BOOKING, "k-race").id)

    threads = [threading.Thread(target=hold, args=(g,)) for g in gateways]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert len(ids) == 8 and len(set(ids)) == 1
    assert gateways[0].effects_per_key() == {"k-race": 1}
    assert [i.id for i in gateways[0].intents_for_booking(BOOKING)] == ids[:1]


RACER = """
import random, sys, time
from bookiji_adapters.simcity import SimCityPaymentGateway
from bookiji_adapters.simcity.sql_state import SqlAlchemyProviderState
from bookiji_adapters.sqlalchemy.engine import create_storage_engine
from bookiji_adapters.system import SystemClock
from bookiji_core.values import BookingId, Money

url, start = sys.argv[1], float(sys.argv[2])
state = SqlAlchemyProviderState(create_storage_engine(url))
gateway = SimCityPaymentGateway(clock=SystemClock(), rng=random.Random(), state=state)
time.sleep(max(0.0, start - time.time()))
hold = gateway.place_hold(Money("CAD", 100), "pm_card_visa", BookingId("bk_0001"), "k-race")
capture = gateway.capture(hold.id, "k-capture")
print(hold.id, capture.status)
"""


def test_processes_racing_with_one_key_make_one_hold_and_one_capture(
    url: str, gateway_on: Gateways
) -> None:
    start = time.time() + 3.0  # past every interpreter's start-up
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, url, str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    answers = [racer.communicate(timeout=120) for racer in racers]

    assert [err for _, err in answers if err] == []
    assert {out.strip() for out, _ in answers} == {f"{answers[0][0].split()[0]} succeeded"}
    assert gateway_on(ManualClock(START)).effects_per_key() == {"k-race": 1, "k-capture": 1}


def test_the_database_keeps_no_card_reference(
    gateway_on: Gateways, sql_storage: SqlAlchemyStorage
) -> None:
    gateway = gateway_on(ManualClock(START))
    hold = gateway.place_hold(FEE, "pm_card_mastercard", BOOKING, "k-hold")
    gateway.capture(hold.id, "k-capture")

    tables = (simcity_intents, simcity_idempotency_keys, simcity_effects, simcity_webhooks)
    with sql_storage.engine.connect() as conn:
        rows = [str(tuple(row)) for table in tables for row in conn.execute(select(table))]
    assert len(rows) == 1 + 2 + 2 + 2
    assert [row for row in rows if "mastercard" in row] == []


def test_an_unmigrated_database_is_a_provider_that_cannot_answer(tmp_path: Path) -> None:
    state = SqlAlchemyProviderState(create_storage_engine(f"sqlite:///{tmp_path / 'new.db'}"))
    gateway = SimCityPaymentGateway(clock=ManualClock(START), rng=random.Random(1), state=state)
    try:
        with pytest.raises(RetryablePaymentError, match="bkctl db upgrade"):
            gateway.place_hold(FEE, "pm_card_visa", BOOKING, "k-hold")
    finally:
        state.dispose()
