"""The `bkctl` console script. `pip install bookiji` is the core library alone, so bkctl may be
on PATH without the service it runs; then it says which extra to install, instead of failing
with an import traceback."""

from __future__ import annotations

import importlib.util
import os
import sys

# What `bookiji[server]` brings (the import names of its requirements in pyproject.toml;
# not uvloop, which is not on every platform and which uvicorn does without).
SERVER_PACKAGES = frozenset(
    {
        "punq",
        "sqlalchemy",
        "alembic",
        "starlette",
        "uvicorn",
        "httptools",
        "httpx",
        "prometheus_client",
        "msgspec",
        "greenlet",
    }
)
MISSING_SERVER = 2
SIGPIPE_STATUS = 128 + 13  # what a shell reports for a tool ended by SIGPIPE


def main() -> int:
    # bkctl imports a command's packages only when it runs (bookiji_entry.cli): look for them
    # all first (finding a package imports nothing), so even `bkctl --help` says what is missing.
    absent = sorted(name for name in SERVER_PACKAGES if importlib.util.find_spec(name) is None)
    if absent:
        return _not_installed(absent[0])
    try:
        from bookiji_entry.cli import main as bkctl
    except ModuleNotFoundError as missing:
        if (missing.name or "").partition(".")[0] not in SERVER_PACKAGES:
            raise
        return _not_installed(missing.name or "")
    try:
        status = bkctl()
        sys.stdout.flush()
    except BrokenPipeError:
        return _reader_gone()
    return status


def _reader_gone() -> int:
    """The reader of stdout went away (`bkctl bookings list --json | head`): stop quietly, as
    a shell tool killed by SIGPIPE does, instead of a traceback. What is still buffered goes
    to /dev/null, so that the interpreter's own flush at exit does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return SIGPIPE_STATUS


def _not_installed(name: str) -> int:
    print(
        f"bkctl: the Bookiji service is not installed ({name} is missing); "
        "install it with: pip install 'bookiji[server,postgres,stripe]'",
        file=sys.stderr,
    )
    return MISSING_SERVER
