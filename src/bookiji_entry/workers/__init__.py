"""Background loops (auto-cancel, and later the outbox relay and the shredder).

Every public module of this package that defines `loops(...) -> list[Loop]` contributes its
loops; the composition root calls it with what its parameters name by type, and `bkctl serve`
runs them all in threads of the server process. To add a loop, add a module here.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import threading
from collections.abc import Callable
from types import ModuleType

import attrs

log = logging.getLogger(__name__)


@attrs.frozen
class Loop:
    """`tick` runs every `interval` seconds until stopped; one failing tick does not stop it."""

    name: str
    interval: float
    tick: Callable[[], object]

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.tick()
            except Exception:  # a transient database error must not kill the loop
                log.exception("%s: tick failed; trying again in %ss", self.name, self.interval)
            stop.wait(self.interval)


def loop_modules() -> list[ModuleType]:
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "loops"):
            found.append(module)
    return found


@attrs.define
class Background:
    """Loops running in daemon threads, stopped together."""

    loops: list[Loop]
    stop: threading.Event = attrs.field(factory=threading.Event)
    threads: list[threading.Thread] = attrs.field(factory=list)

    def start(self) -> None:
        for loop in self.loops:
            thread = threading.Thread(
                target=loop.run, args=(self.stop,), name=loop.name, daemon=True
            )
            thread.start()
            self.threads.append(thread)

    def close(self, timeout: float = 10.0) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout)
