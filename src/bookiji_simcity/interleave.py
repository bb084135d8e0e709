"""Deterministic races: run concurrent tasks one at a time, switching at yield points.

Tasks that start at the same simulated instant (two customers confirming one slot, a relay and
a webhook, a cancel and a vendor's confirm) each run in a greenlet of their own, and only one
runs at a time. A task gives the turn back at each yield point (before each transaction, before
each call to the payment provider, at each relay checkpoint) and a seeded random draw picks who
runs next. So an interleaving is a function of the seed: a race found once is replayed exactly.

Greenlets, not threads: the turn passes by a switch of stacks in this thread, where handing it
between threads cost two wake-ups of the operating system's scheduler
(`bench/interleave_switch.py` times both). What a task keeps for itself (its crash scope, its
open transactions) is held per greenlet (task_local.py).

Tasks never yield inside a transaction, so a paused task holds no storage lock.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import attrs
from greenlet import getcurrent, greenlet

from bookiji_simcity.faults import TransactionDepth


@attrs.define
class TaskResult:
    name: str
    value: object = None
    error: BaseException | None = None


@attrs.define(eq=False)
class _Task:
    name: str
    fn: Callable[[], object]
    runner: greenlet | None = None
    done: bool = False
    result: TaskResult | None = None


class Interleaver:
    def __init__(self, rng: random.Random, depth: TransactionDepth) -> None:
        self._rng = rng
        self._depth = depth
        self._running: dict[greenlet, _Task] = {}  # the tasks of the run in progress
        self._inline: greenlet | None = None  # where a lone task runs, in `run`'s greenlet
        self._on_switch: Callable[[], None] = lambda: None

    def pause(self) -> None:
        """A yield point. Outside an interleaved run it only lets the observer look."""
        if self._depth.value > 0:
            return
        here = getcurrent()
        task = self._running.get(here)
        if task is None:
            if here is self._inline:
                self._on_switch()
            return
        parent = here.parent
        assert parent is not None  # the greenlet that called `run`
        parent.switch()  # back to `run`, which picks who goes next; resumed when picked

    def run(
        self,
        tasks: Sequence[tuple[str, Callable[[], object]]],
        on_switch: Callable[[], None] = lambda: None,
    ) -> list[TaskResult]:
        """Run `tasks` to completion; `on_switch` is called at every yield point (between any
        two steps of any task), when no transaction is open."""
        if self._running or self._inline is not None:
            raise RuntimeError("an interleaved run cannot start inside another")
        self._on_switch = on_switch
        if len(tasks) == 1:
            return [self._run_inline(*tasks[0])]
        runnable = [_Task(name, fn) for name, fn in tasks]
        for task in runnable:
            task.runner = greenlet(self._body)  # its parent: this greenlet
            self._running[task.runner] = task
        try:
            while True:
                waiting = [t for t in runnable if not t.done]
                if not waiting:
                    break
                pick = self._rng.randrange(len(waiting)) if len(waiting) > 1 else 0
                chosen = waiting[pick]
                assert chosen.runner is not None
                # Runs until its next yield point, or to its end; either comes back here.
                chosen.runner.switch(chosen)
                on_switch()
        finally:
            self._running.clear()
        return [t.result or TaskResult(t.name) for t in runnable]

    def _run_inline(self, name: str, fn: Callable[[], object]) -> TaskResult:
        self._inline = getcurrent()
        try:
            return TaskResult(name, fn())
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:  # a crash or a bug: the caller judges it
            return TaskResult(name, error=error)
        finally:
            self._inline = None

    @staticmethod
    def _body(task: _Task) -> None:
        try:
            task.result = TaskResult(task.name, task.fn())
        except BaseException as error:
            task.result = TaskResult(task.name, error=error)
        finally:
            task.done = True
