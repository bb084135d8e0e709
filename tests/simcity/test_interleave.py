"""The interleaver: tasks take turns at yield points in an order drawn from the seed, each
keeps its own task-local state across its pauses, and a failing task fails alone."""

from __future__ import annotations

import random
import threading

import pytest

from bookiji_simcity.faults import TransactionDepth
from bookiji_simcity.interleave import Interleaver
from bookiji_simcity.task_local import TaskLocal


def _trace(seed: int, steps: int = 4) -> list[str]:
    interleaver = Interleaver(random.Random(seed), TransactionDepth())
    trace: list[str] = []

    def task(name: str) -> str:
        for n in range(steps):
            trace.append(f"{name}{n}")
            interleaver.pause()
        return name

    results = interleaver.run([(name, lambda name=name: task(name)) for name in "abc"])
    assert [(r.name, r.value, r.error) for r in results] == [(n, n, None) for n in "abc"]
    return trace


def test_the_order_of_turns_is_a_function_of_the_seed() -> None:
    assert _trace(7) == _trace(7)
    orders = {tuple(_trace(seed)) for seed in range(20)}
    assert len(orders) > 10  # the seeds draw different interleavings
    for order in orders:  # and each task's own steps keep their order
        for name in "abc":
            assert [s for s in order if s[0] == name] == [f"{name}{n}" for n in range(4)]


def test_each_task_keeps_its_own_task_local_values_across_its_pauses() -> None:
    interleaver = Interleaver(random.Random(3), TransactionDepth())
    mine: TaskLocal[list[str]] = TaskLocal(list)
    seen: dict[str, list[str]] = {}

    def task(name: str) -> None:
        for n in range(3):
            mine.get().append(f"{name}{n}")
            interleaver.pause()
        seen[name] = list(mine.get())

    interleaver.run([(name, lambda name=name: task(name)) for name in "xy"])
    assert seen == {"x": ["x0", "x1", "x2"], "y": ["y0", "y1", "y2"]}
    assert mine.get() == []  # the caller's own value was never touched


def test_no_turn_passes_inside_an_open_transaction() -> None:
    depth = TransactionDepth()
    interleaver = Interleaver(random.Random(1), depth)
    trace: list[str] = []

    def task(name: str) -> None:
        depth.enter()
        for n in range(3):
            trace.append(f"{name}{n}")
            interleaver.pause()  # depth 1: no switch
        depth.leave()
        interleaver.pause()

    interleaver.run([(name, lambda name=name: task(name)) for name in "pq"])
    first = trace[0][0]
    assert trace[:3] == [f"{first}{n}" for n in range(3)]


def test_a_failing_task_fails_alone_and_the_observer_sees_every_switch() -> None:
    interleaver = Interleaver(random.Random(5), TransactionDepth())
    switches: list[int] = []

    def broken() -> None:
        interleaver.pause()
        raise ValueError("boom")

    def fine() -> int:
        interleaver.pause()
        interleaver.pause()
        return 42

    results = interleaver.run(
        [("broken", broken), ("fine", fine)], on_switch=lambda: switches.append(1)
    )
    assert isinstance(results[0].error, ValueError) and results[0].value is None
    assert (results[1].value, results[1].error) == (42, None)
    assert len(switches) == 5  # 2 + 3 turns: each ends at a pause or at the task's end


def test_a_run_cannot_start_inside_another() -> None:
    interleaver = Interleaver(random.Random(1), TransactionDepth())

    def nested() -> None:
        interleaver.run([("a", lambda: None), ("b", lambda: None)])

    results = interleaver.run([("outer", nested), ("other", lambda: None)])
    assert isinstance(results[0].error, RuntimeError)


def test_a_lone_task_runs_inline_and_its_pauses_let_the_observer_look() -> None:
    interleaver = Interleaver(random.Random(1), TransactionDepth())
    switches: list[int] = []

    def alone() -> str:
        interleaver.pause()
        interleaver.pause()
        return "done"

    [result] = interleaver.run([("alone", alone)], on_switch=lambda: switches.append(1))
    assert (result.value, len(switches)) == ("done", 2)
    interleaver.pause()  # outside a run: nothing to observe
    assert len(switches) == 2


def test_task_local_values_are_per_thread_outside_a_run() -> None:
    local: TaskLocal[int] = TaskLocal(int)
    local.set(5)
    seen: list[int] = []
    thread = threading.Thread(target=lambda: seen.append(local.get()))
    thread.start()
    thread.join()
    assert (seen, local.get()) == ([0], 5)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_crash_scope_belongs_to_the_task_that_opened_it(seed: int) -> None:
    from bookiji_simcity.faults import CrashPlan

    plan = CrashPlan(random.Random(seed))
    interleaver = Interleaver(random.Random(seed), TransactionDepth())
    current: dict[str, list[str | None]] = {"a": [], "b": []}

    def task(name: str) -> None:
        with plan.scope(name):
            for _ in range(3):
                scope = plan._current()
                current[name].append(scope.name if scope else None)
                interleaver.pause()

    interleaver.run([(name, lambda name=name: task(name)) for name in "ab"])
    assert current == {"a": ["a"] * 3, "b": ["b"] * 3}
    assert plan._current() is None
