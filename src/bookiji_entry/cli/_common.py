"""What the bkctl commands share: the services they run against and how they print."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bookiji_core.access import Principal
from bookiji_core.usecases import authenticate
from bookiji_entry import settings
from bookiji_entry.bootstrap import Services, bootstrap


class CliError(Exception):
    """A refusal of bkctl itself, with the exit status to return."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


class Context:
    """Services injected by a caller (tests), or wired from the environment per command."""

    def __init__(self, services: Services | None = None) -> None:
        self._injected = services

    @contextmanager
    def services(self) -> Iterator[Services]:
        if self._injected is not None:
            yield self._injected
            return
        wired = bootstrap(settings.current())
        try:
            yield wired
        finally:
            wired.database.dispose()


def login(services: Services, token: str) -> Principal:
    return authenticate(token, services.uow())


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
