"""The `bkctl` console script. `pip install bookiji` is the core library alone, so bkctl may be
on PATH without the service it runs; then it says which extra to install, instead of failing
with an import traceback."""

from __future__ import annotations

import sys

# What `bookiji[server]` brings (the import names of its requirements in pyproject.toml).
SERVER_PACKAGES = frozenset(
    {
        "punq",
        "sqlalchemy",
        "alembic",
        "starlette",
        "uvicorn",
        "httpx",
        "prometheus_client",
        "msgspec",
    }
)
MISSING_SERVER = 2


def main() -> int:
    try:
        from bookiji_entry.cli import main as bkctl
    except ModuleNotFoundError as missing:
        if (missing.name or "").partition(".")[0] not in SERVER_PACKAGES:
            raise
        print(
            f"bkctl: the Bookiji service is not installed ({missing.name} is missing); "
            "install it with: pip install 'bookiji[server,postgres,stripe]'",
            file=sys.stderr,
        )
        return MISSING_SERVER
    return bkctl()
