"""run_once, the core piece around a retried command, and the confirm fingerprint rule."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from bookiji_adapters.memory import InMemoryStorage, ManualClock
from bookiji_core import Principal, Role
from bookiji_core.errors import (
    IdempotencyConflict,
    IdempotencyInProgress,
    SlotTaken,
)
from bookiji_core.idempotency import KeyState, fingerprint
from bookiji_core.usecases import ConfirmBooking
from bookiji_core.usecases.idempotent import Claim, run_once
from tests.unit.conftest import NOW


@attrs.frozen
class Ping:
    """A command of another kind than confirm: the piece knows only its key and fingerprint."""

    idempotency_key: str
    body: str

    @property
    def fingerprint(self) -> str:
        return fingerprint({"body": self.body})


class Recorder:
    """Work that makes a result (as confirm makes a booking) and counts how often it ran."""

    def __init__(self, storage: InMemoryStorage, fail: BaseException | None = None) -> None:
        self.storage = storage
        self.fail = fail
        self.runs = 0

    def work(self, claim: Claim) -> str:
        self.runs += 1
        uow = self.storage.unit_of_work()
        with uow:
            if self.fail is not None:
                raise self.fail
            result = f"bk_{self.runs}"
            claim.complete(uow, result)
            uow.commit()
        return result


def once(storage: InMemoryStorage, clock: ManualClock, rec: Recorder, cmd: Ping) -> str:
    return run_once(
        cmd, "scope", storage.unit_of_work(), clock, rec.work, lambda b: f"replayed {b}"
    )


@pytest.fixture
def storage() -> InMemoryStorage:
    return InMemoryStorage()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


def record(storage: InMemoryStorage, key: str = "k"):  # type: ignore[no-untyped-def]
    with storage.unit_of_work().read_only() as uow:
        return uow.idempotency.get("scope", key)


def test_the_first_run_does_the_work_and_a_retry_replays_its_result(
    storage: InMemoryStorage, clock: ManualClock
) -> None:
    rec = Recorder(storage)

    assert once(storage, clock, rec, Ping("k", "a")) == "bk_1"
    assert once(storage, clock, rec, Ping("k", "a")) == "replayed bk_1"
    assert rec.runs == 1
    assert record(storage).state is KeyState.COMPLETED


def test_another_body_under_a_used_key_is_refused_without_running(
    storage: InMemoryStorage, clock: ManualClock
) -> None:
    rec = Recorder(storage)
    once(storage, clock, rec, Ping("k", "a"))

    with pytest.raises(IdempotencyConflict):
        once(storage, clock, rec, Ping("k", "b"))
    assert rec.runs == 1


def test_a_domain_refusal_is_stored_and_replayed_as_the_same_error(
    storage: InMemoryStorage, clock: ManualClock
) -> None:
    rec = Recorder(storage, fail=SlotTaken("vendor v1 is already booked at that time"))
    with pytest.raises(SlotTaken):
        once(storage, clock, rec, Ping("k", "a"))

    rec.fail = None  # the slot is free now, but the key answers as it first did
    with pytest.raises(SlotTaken, match="already booked"):
        once(storage, clock, rec, Ping("k", "a"))
    assert rec.runs == 1
    assert record(storage).error_code == "slot_taken"


def test_an_unexpected_failure_releases_the_key_so_that_a_retry_runs_afresh(
    storage: InMemoryStorage, clock: ManualClock
) -> None:
    rec = Recorder(storage, fail=ConnectionError("database went away"))
    with pytest.raises(ConnectionError):
        once(storage, clock, rec, Ping("k", "a"))
    assert record(storage) is None

    rec.fail = None
    assert once(storage, clock, rec, Ping("k", "a")) == "bk_2"


def test_a_key_in_progress_is_refused_until_its_lease_lapses_then_taken_over(
    storage: InMemoryStorage, clock: ManualClock
) -> None:
    rec = Recorder(storage)

    def crashed(claim: Claim) -> str:  # the first process dies mid-work: nothing completes
        with pytest.raises(IdempotencyInProgress):
            once(storage, clock, rec, Ping("k", "a"))
        clock.advance(timedelta(seconds=30))
        return once(storage, clock, rec, Ping("k", "a"))

    assert run_once(Ping("k", "a"), "scope", storage.unit_of_work(), clock, crashed, str) == "bk_1"
    assert rec.runs == 1


def test_a_completed_key_is_kept_24_hours_then_runs_afresh(
    storage: InMemoryStorage, clock: ManualClock
) -> None:
    rec = Recorder(storage)
    once(storage, clock, rec, Ping("k", "a"))

    clock.advance(timedelta(hours=24) - timedelta(seconds=1))
    assert once(storage, clock, rec, Ping("k", "a")) == "replayed bk_1"
    clock.advance(timedelta(seconds=1))
    assert once(storage, clock, rec, Ping("k", "a")) == "bk_2"


def test_a_confirm_fingerprint_is_computed_in_core_from_the_fields_that_shape_the_outcome() -> None:
    alice = Principal(Role.CUSTOMER, "c1")
    cmd = ConfirmBooking(alice, "q_1", "v1", "pm_card_visa", "k")
    body = {"payment_method": "pm_card_visa", "provider_id": "v1", "quote_id": "q_1"}

    # The same hash as the HTTP edge computed before, so records stored then still replay.
    assert cmd.fingerprint == fingerprint(body)
    assert attrs.evolve(cmd, idempotency_key="k2").fingerprint == cmd.fingerprint
    for change in ({"quote_id": "q_2"}, {"provider_id": "v2"}, {"payment_method": "pm_x"}):
        assert attrs.evolve(cmd, **change).fingerprint != cmd.fingerprint
