"""Background workers: auto-cancel, the outbox relay, the shredder, reconciliation, ...

Each public module of this package registers its workers in a module-level `WORKERS` tuple:
`Worker(name, interval, build)`, where `build(...)` returns the tick to run every `interval`
seconds (or None when the deployment has nothing for it to do, e.g. `simcity-webhooks` under
Stripe). The composition root calls `build` with what its parameters name by type, plus
`copy: Copy` if it asks for one (its lease owner and stop signal). Adding a worker is that one
registration: `bkctl worker NAME`, `bkctl worker all`, `bkctl serve`'s threads and
`bkctl worker status` all find it, once its name is in NAMES too (a test checks the two
agree: `bkctl worker`'s parser lists NAMES without importing a single worker module, which
would bring the HTTP handlers). Only the named worker is built (docs/processes.md).
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import threading
from collections.abc import Callable
from types import ModuleType

import attrs

from bookiji_entry.heartbeats import HeartbeatWriter

log = logging.getLogger(__name__)

Tick = Callable[[], object]


def _no_beat() -> None:
    return None


@attrs.frozen
class Worker:
    """One registration: the loop's name, its period and how to build one copy of its tick."""

    name: str
    interval: float
    build: Callable[..., Tick | None]


@attrs.frozen
class Copy:
    """Which copy of a worker a `build` makes: its lease owner (unique per process and copy)
    and the signal that asks it to stop between two units of work."""

    worker: str
    host: str
    pid: int
    index: int = 0
    stop: threading.Event = attrs.field(factory=threading.Event, eq=False)

    @property
    def owner(self) -> str:
        return f"{self.host}:{self.pid}:{self.index}"


@attrs.frozen
class Loop:
    """`tick` runs every `interval` seconds until stopped; one failing tick does not stop it.
    `beat` is called after each tick and at least every `beat_every` seconds while it waits
    (the heartbeat `bkctl worker status` reads)."""

    name: str
    interval: float
    tick: Tick
    beat: Callable[[], None] = _no_beat
    beat_every: float = 5.0

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.tick()
            except Exception:  # a transient database error must not kill the loop
                log.exception("%s: tick failed; trying again in %ss", self.name, self.interval)
            self._wait(stop)

    def _wait(self, stop: threading.Event) -> None:
        remaining = self.interval
        while True:
            self._beat()
            if remaining <= 0 or stop.wait(min(remaining, self.beat_every)):
                return
            remaining -= self.beat_every

    def _beat(self) -> None:
        try:
            self.beat()
        except Exception:  # the database is down: the next beat tries again
            log.warning("%s: could not write its heartbeat", self.name, exc_info=True)


# Every registered worker's name, sorted (what `registered()` finds, without importing it).
NAMES = (
    "auto-cancel",
    "history-verify",
    "maps-health",
    "notifications",
    "outbox",
    "privacy",
    "reconcile",
    "shredder",
    "simcity-webhooks",
)


def worker_modules() -> list[ModuleType]:
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "WORKERS"):
            found.append(module)
    return found


def registered() -> dict[str, Worker]:
    """Every registered worker, by name."""
    found: dict[str, Worker] = {}
    for module in worker_modules():
        for worker in module.WORKERS:
            if worker.name in found:
                raise RuntimeError(f"two workers are named {worker.name!r}")
            found[worker.name] = worker
    return found


@attrs.define
class Background:
    """Loops running in daemon threads, stopped together; with `heartbeats`, each loop beats
    (and the process's rows are removed once every loop has stopped)."""

    loops: list[Loop]
    stop: threading.Event = attrs.field(factory=threading.Event)
    threads: list[threading.Thread] = attrs.field(factory=list)
    heartbeats: HeartbeatWriter | None = None

    def start(self) -> None:
        if self.heartbeats is not None:
            beats = self.heartbeats
            beats.start()
            self.loops = [attrs.evolve(x, beat=beats.beat_for(x.name)) for x in self.loops]
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
        if self.heartbeats is not None and not any(t.is_alive() for t in self.threads):
            try:
                self.heartbeats.close()
            except Exception:  # the database is gone: the rows go stale, then are forgotten
                log.warning("could not remove this process's heartbeats", exc_info=True)
