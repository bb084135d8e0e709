"""What belongs to the SimCity task that is running: one value per greenlet.

The interleaver runs each concurrent task in a greenlet of its own (interleave.py); outside an
interleaved run every thread is its own main greenlet. So this is a thread-local that also
tells the interleaved tasks of one thread apart, which `threading.local` cannot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar
from weakref import WeakKeyDictionary

from greenlet import getcurrent, greenlet

T = TypeVar("T")


class TaskLocal(Generic[T]):
    def __init__(self, default: Callable[[], T]) -> None:
        # Weak keys: a finished task's value goes with its greenlet.
        self._values: WeakKeyDictionary[greenlet, T] = WeakKeyDictionary()
        self._default = default

    def get(self) -> T:
        here = getcurrent()
        try:
            return self._values[here]
        except KeyError:
            value = self._values[here] = self._default()
            return value

    def set(self, value: T) -> None:
        self._values[getcurrent()] = value
