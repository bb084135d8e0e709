"""Deterministic races: run concurrent tasks in threads, one at a time, switching at yield points.

Tasks that start at the same simulated instant (two customers confirming one slot, a relay and
a webhook, a cancel and a vendor's confirm) run in real threads, but only one runs at a time.
A task gives the turn back at each yield point (before each transaction, before each call to
the payment provider, at each relay checkpoint) and a seeded random draw picks who runs next.
So an interleaving is a function of the seed: a race found once is replayed exactly.

Tasks never yield inside a transaction, so a paused task holds no storage lock.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Sequence

import attrs

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
    go: threading.Event = attrs.field(factory=threading.Event)
    done: bool = False
    result: TaskResult | None = None


class Interleaver:
    def __init__(self, rng: random.Random, depth: TransactionDepth) -> None:
        self._rng = rng
        self._depth = depth
        self._local = threading.local()
        self._turn = threading.Event()
        self._on_switch: Callable[[], None] = lambda: None

    def pause(self) -> None:
        """A yield point. Outside an interleaved run it only lets the observer look."""
        if self._depth.value > 0:
            return
        task: _Task | None = getattr(self._local, "task", None)
        if task is None:
            if getattr(self._local, "inline", False):
                self._on_switch()
            return
        task.go.clear()
        self._turn.set()
        task.go.wait()

    def run(
        self,
        tasks: Sequence[tuple[str, Callable[[], object]]],
        on_switch: Callable[[], None] = lambda: None,
    ) -> list[TaskResult]:
        """Run `tasks` to completion; `on_switch` is called at every yield point (between any
        two steps of any task), when no transaction is open."""
        self._on_switch = on_switch
        if len(tasks) == 1:
            return [self._inline(*tasks[0])]
        runnable = [_Task(name, fn) for name, fn in tasks]
        threads = [
            threading.Thread(target=self._body, args=(t,), name=f"sim:{t.name}", daemon=True)
            for t in runnable
        ]
        for thread in threads:
            thread.start()
        while True:
            waiting = [t for t in runnable if not t.done]
            if not waiting:
                break
            chosen = waiting[self._rng.randrange(len(waiting))] if len(waiting) > 1 else waiting[0]
            self._turn.clear()
            chosen.go.set()
            self._turn.wait()
            on_switch()
        for thread in threads:
            thread.join()
        return [t.result or TaskResult(t.name) for t in runnable]

    def _inline(self, name: str, fn: Callable[[], object]) -> TaskResult:
        self._local.inline = True
        try:
            return TaskResult(name, fn())
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:  # a crash or a bug: the caller judges it
            return TaskResult(name, error=error)
        finally:
            self._local.inline = False

    def _body(self, task: _Task) -> None:
        self._local.task = task
        task.go.wait()
        try:
            task.result = TaskResult(task.name, task.fn())
        except BaseException as error:
            task.result = TaskResult(task.name, error=error)
        finally:
            task.done = True
            self._turn.set()
