"""Following outbox progress is a core use case: the CLI only shows what it returns."""

from __future__ import annotations

from bookiji_adapters.memory import InMemoryStorage
from bookiji_core import Money, PaymentAction
from bookiji_core.payments import OutboxMessage, OutboxState, PaymentCommand
from bookiji_core.usecases.outbox_progress import follow_outbox, outbox_progress
from bookiji_core.values import BookingId
from tests.unit.conftest import NOW


class Ticking:
    """A monotonic clock that advances only when the follower sleeps; the relay stands in
    as `on_sleep`, finishing messages between two looks."""

    def __init__(self, on_sleep=lambda: None) -> None:  # type: ignore[no-untyped-def]
        self.now = 0.0
        self.sleeps = 0
        self._on_sleep = on_sleep

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.sleeps += 1
        self._on_sleep()


def queued(storage: InMemoryStorage, *ids: str) -> None:
    with storage.unit_of_work() as uow:
        for n, message_id in enumerate(ids, start=1):
            command = PaymentCommand(BookingId("bk_1"), PaymentAction.REFUND, Money("CAD", 100), n)
            uow.outbox.add(OutboxMessage.queue(message_id, command, NOW))
        uow.commit()


def move(storage: InMemoryStorage, message_id: str, state: OutboxState) -> None:
    with storage.unit_of_work() as uow:
        message = uow.outbox.get(message_id)
        assert message is not None
        if state is OutboxState.COMMITTED:
            uow.outbox.update(message.commit(NOW))
        else:
            uow.outbox.update(message.fail("refused", NOW, retryable=False))
        uow.commit()


def test_following_stops_at_the_first_look_where_every_message_is_committed_or_dead() -> None:
    storage = InMemoryStorage()
    queued(storage, "m1", "m2")
    steps = iter([("m1", OutboxState.COMMITTED), ("m2", OutboxState.DLQ)])

    def relay_step() -> None:
        move(storage, *next(steps))

    clock = Ticking(relay_step)
    seen: list[tuple[str, ...]] = []
    progress = follow_outbox(
        storage.unit_of_work(),
        ["m1", "m2"],
        until=60.0,
        monotonic=clock.monotonic,
        sleep=clock.sleep,
        on_progress=lambda p: seen.append(p.pending),
    )
    assert progress.finished and clock.sleeps == 2
    assert (progress.committed, progress.dead) == (("m1",), ("m2",))
    assert seen == [("m1", "m2"), ("m2",), ()]


def test_following_gives_up_at_the_deadline_and_names_what_is_still_pending() -> None:
    storage = InMemoryStorage()
    queued(storage, "m1")
    clock = Ticking()
    progress = follow_outbox(
        storage.unit_of_work(),
        ["m1"],
        until=1.0,
        monotonic=clock.monotonic,
        sleep=clock.sleep,
        interval=0.25,
    )
    assert not progress.finished and progress.pending == ("m1",)
    assert progress.states == {"m1": OutboxState.QUEUED} and clock.now == 1.0


def test_a_message_missing_from_the_outbox_never_counts_as_finished() -> None:
    storage = InMemoryStorage()
    progress = outbox_progress(storage.unit_of_work(), ["gone"])
    assert progress.states == {"gone": None}
    assert progress.pending == ("gone",) and not progress.finished
