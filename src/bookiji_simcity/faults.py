"""Worker crashes between any two steps: a unit of work that can die before or after commit.

A crash is a `SimulatedCrash` (a BaseException, so that no `except Exception` in the code under
test can swallow it). Crashes happen inside a *scope* (one request, one relay round, one webhook
delivery): once a scope has crashed, every later transaction in it fails too, as they would in
a dead process, until the scope ends. Outside any scope nothing crashes (the simulator's own
reads and the operator's commands).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, cast

import attrs

from bookiji_core.ports import UnitOfWork, UnitOfWorkFactory
from bookiji_simcity.task_local import TaskLocal


class SimulatedCrash(BaseException):
    """A worker process dying between two steps."""


@attrs.define
class _Scope:
    name: str
    crashable: bool
    dead: bool = False


@attrs.define
class CrashPlan:
    """Per-transaction and per-checkpoint crash probabilities, drawn from one seeded stream."""

    rng: random.Random
    commit_rate: float = 0.0  # at each commit: half before (lost), half after (kept)
    checkpoint_rate: float = 0.0  # at each relay checkpoint
    # Scripted crashes, taken before the rates: ("checkpoint:after_gateway", ...) or
    # ("commit:before"/"commit:after", scope name or "*").
    scripted: list[tuple[str, str]] = attrs.field(factory=list)
    log: Callable[[str], None] = lambda _line: None
    commits: int = attrs.field(default=0, init=False)  # committed transactions, crash or not
    crashed: list[str] = attrs.field(factory=list, init=False)  # "<scope> at <point>"
    _stacks: TaskLocal[list[_Scope]] = attrs.field(factory=lambda: TaskLocal(list), init=False)

    # -- scopes ------------------------------------------------------------------------------

    @contextmanager
    def scope(self, name: str, *, crashable: bool = True) -> Iterator[None]:
        stack = self._stack()
        stack.append(_Scope(name, crashable))
        try:
            yield
        finally:
            stack.pop()

    def _stack(self) -> list[_Scope]:
        return self._stacks.get()

    def _current(self) -> _Scope | None:
        stack = self._stack()
        return stack[-1] if stack else None

    # -- decisions ---------------------------------------------------------------------------

    def _take_scripted(self, point: str, scope: _Scope) -> bool:
        for index, (wanted, where) in enumerate(self.scripted):
            if wanted == point and (where == "*" or scope.name.startswith(where)):
                del self.scripted[index]
                return True
        return False

    def _crash(self, scope: _Scope, point: str) -> None:
        scope.dead = True
        self.crashed.append(f"{scope.name} at {point}")
        self.log(f"crash {scope.name} at {point}")
        raise SimulatedCrash(f"{scope.name} died at {point}")

    def ensure_alive(self) -> None:
        scope = self._current()
        if scope is not None and scope.dead:
            raise SimulatedCrash(f"{scope.name} is dead")

    def at_commit(self, when: str) -> None:
        """`when` is "before" or "after" the commit of a transaction."""
        if when == "after":
            self.commits += 1
        scope = self._current()
        if scope is None or not scope.crashable:
            return
        self.ensure_alive()
        point = f"commit:{when}"
        if self._take_scripted(point, scope):
            self._crash(scope, point)
        if self.commit_rate and self.rng.random() < self.commit_rate / 2:
            self._crash(scope, point)

    def at_checkpoint(self, step: str) -> None:
        scope = self._current()
        if scope is None or not scope.crashable:
            return
        self.ensure_alive()
        point = f"checkpoint:{step}"
        if self._take_scripted(point, scope):
            self._crash(scope, point)
        if self.checkpoint_rate and self.rng.random() < self.checkpoint_rate:
            self._crash(scope, point)


class CrashingUnitOfWork:
    """Wraps a unit of work: yields to the interleaver before each transaction, and lets the
    crash plan kill the current scope just before or just after each commit."""

    def __init__(
        self, inner: UnitOfWork, plan: CrashPlan, pause: Callable[[], None], depth: TransactionDepth
    ) -> None:
        self._inner = inner
        self._plan = plan
        self._pause = pause
        self._depth = depth

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def read_only(self) -> CrashingUnitOfWork:
        self._inner.read_only()
        return self

    def __enter__(self) -> CrashingUnitOfWork:
        self._pause()
        self._plan.ensure_alive()
        self._inner.__enter__()
        self._depth.enter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._depth.leave()
        self._inner.__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        self._plan.at_commit("before")
        self._inner.commit()
        self._plan.at_commit("after")

    def rollback(self) -> None:
        self._inner.rollback()


class TransactionDepth:
    """How many transactions the current task has open (the interleaver never switches
    tasks inside one, so that no task waits on a lock held by a paused task)."""

    def __init__(self) -> None:
        self._depth: TaskLocal[int] = TaskLocal(int)

    def enter(self) -> None:
        self._depth.set(self.value + 1)

    def leave(self) -> None:
        self._depth.set(self.value - 1)

    @property
    def value(self) -> int:
        return self._depth.get()


def crashing(
    factory: UnitOfWorkFactory, plan: CrashPlan, pause: Callable[[], None], depth: TransactionDepth
) -> UnitOfWorkFactory:
    def make() -> UnitOfWork:
        # It satisfies the UnitOfWork port by delegation (__getattr__), which mypy cannot see.
        return cast(UnitOfWork, CrashingUnitOfWork(factory(), plan, pause, depth))

    return make
