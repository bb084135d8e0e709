"""What the bkctl commands share: their refusals, the caller's login and how they print."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs

from bookiji_core.access import Principal
from bookiji_core.ports import UnitOfWorkFactory
from bookiji_core.usecases import authenticate
from bookiji_entry import settings
from bookiji_entry.bootstrap import Services, bootstrap


class CliError(Exception):
    """A refusal of bkctl itself, with the exit status to return."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


@attrs.frozen
class Wiring:
    """A command's services: the injected ones (tests), or the environment's, wired when the
    command is ready for them and closed after it. `bkctl serve` asks for this itself, as it
    must set up the metrics directory its services report to before they are wired."""

    injected: Services | None = None

    @contextmanager
    def __call__(self) -> Iterator[Services]:
        if self.injected is not None:
            yield self.injected
            return
        wired = bootstrap(settings.current())
        try:
            yield wired
        finally:
            wired.database.dispose()


def login(uow: UnitOfWorkFactory, token: str) -> Principal:
    return authenticate(token, uow())


def add_token(parser: Any) -> None:
    parser.add_argument(
        "--token", required=True, help="your bearer token (the demo seed prints them)"
    )


def add_json(parser: Any) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print the result as JSON, as the HTTP API does"
    )


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
