"""prometheus-client's multiprocess mode: several processes write metrics to one directory.

Counters, histograms and gauges live in per-process mmap files under the directory; a scrape
merges them with `MultiProcessCollector`. The library chooses the mode when it is imported,
from PROMETHEUS_MULTIPROC_DIR; a process that imported it before the directory was known (the
`bkctl serve` parent, which creates the directory for its workers) is switched here, before
its first metric is created.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import values

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def is_multiprocess() -> bool:
    return getattr(values.ValueClass, "_multiprocess", False) is True


def enable(directory: str) -> None:
    """Put this process in multiprocess mode, writing under `directory` (which must exist)."""
    path = Path(directory)
    if not path.is_dir():
        raise ValueError(f"{VARIABLE} {directory!r} is not a directory")
    # The library reads the variable each time it opens a process's file.
    os.environ[VARIABLE] = str(path)
    if not is_multiprocess():
        # prometheus-client ships this factory without annotations.
        values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]
