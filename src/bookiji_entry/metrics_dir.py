"""The metrics directory that `bkctl serve --workers N` shares with its worker processes."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from bookiji_adapters.telemetry import multiprocess
from bookiji_entry import settings


@contextmanager
def shared_metrics_dir(workers: int) -> Iterator[str | None]:
    """With several workers, the directory every process writes its metrics to, so that a
    scrape answered by any worker counts the requests of all: PROMETHEUS_MULTIPROC_DIR when
    configured (then short-lived `bkctl` commands and separate worker processes given the same
    variable report there too), else a fresh temporary one, removed at exit.

    Enter it before wiring this process's services (its background loops report there too)
    and before the workers start: they inherit the variable from this process."""
    configured = settings.current().metrics_dir if workers > 1 else None
    if workers == 1 or configured is not None:
        yield configured
        return
    fresh = tempfile.mkdtemp(prefix="bookiji-metrics-")
    multiprocess.enable(fresh)
    try:
        yield fresh
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
