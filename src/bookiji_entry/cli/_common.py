"""What the bkctl commands share: their refusals, the caller's login and how they print."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import attrs

from bookiji_core.access import Principal
from bookiji_core.ports import Clock, UnitOfWorkFactory
from bookiji_core.usecases import authenticate
from bookiji_entry import settings

if TYPE_CHECKING:  # the composition root is imported when a command is wired, not before
    from bookiji_entry.bootstrap import Services

_CODES = {2: "usage", 3: "unauthenticated", 69: "unavailable"}


class CliError(Exception):
    """A refusal of bkctl itself, with the exit status to return."""

    def __init__(self, message: str, status: int = 1, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or _CODES.get(status, "refused")


@attrs.frozen
class Wiring:
    """A command's services: the injected ones (tests), or the environment's, wired when the
    command is ready for them and closed after it. `bkctl serve` and `bkctl worker` ask for
    this itself: `wiring()` wires every part up front, as the server and the workers run on
    all of them (and serve must set up the metrics directory first). `wiring.call(...)`
    builds only what the command names (`bootstrap.command_parts`)."""

    injected: Services | None = None

    @contextmanager
    def __call__(self) -> Iterator[Services]:
        if self.injected is not None:
            yield self.injected
            return
        from bookiji_entry.bootstrap import bootstrap

        wired = bootstrap(settings.current())
        try:
            yield wired
        finally:
            wired.database.dispose()

    def call(self, command: Callable[..., int], **given: Any) -> int:
        """Call `command` with `given` and, for each other parameter, the part its type names:
        from the injected services, or built for this call alone and closed after it."""
        from bookiji_entry.bootstrap import command_parts, inject

        if self.injected is not None:
            return int(inject(command, self.injected, **given))
        with command_parts(settings.current()) as call:
            return call(command, **given)

    def token(self) -> str | None:
        """BOOKIJI_TOKEN, from the injected services' settings or the environment."""
        source = self.injected.settings if self.injected is not None else settings.current()
        return source.token


def login(uow: UnitOfWorkFactory, clock: Clock, token: str | None) -> Principal:
    """The caller, from --token or else BOOKIJI_TOKEN, checked now (expired and revoked
    tokens are refused as over HTTP)."""
    return authenticate(require_token(token), uow(), clock.now())


def require_token(given: str | None, from_env: str | None = None) -> str:
    token = given or from_env
    if not token:
        raise CliError("a bearer token is required: pass --token or set BOOKIJI_TOKEN", 3)
    return token


def env_token(given: str | None) -> str:
    """For commands that talk to a server and wire no services: --token or BOOKIJI_TOKEN."""
    return given or require_token(None, settings.current().token)


UNAVAILABLE = 69  # sysexits' EX_UNAVAILABLE: the database or the service does not answer


def server_url(given: str | None) -> str:
    """--url (or --api, --target) if given, else BOOKIJI_URL, else BOOKIJI_HOST:BOOKIJI_PORT."""
    return given.rstrip("/") if given else settings.current().server_url


def add_url(parser: Any, flag: str = "--url") -> None:
    parser.add_argument(
        flag,
        default=None,
        help="the service's base URL; default: BOOKIJI_URL, else http://BOOKIJI_HOST:BOOKIJI_PORT",
    )


def add_token(parser: Any, help: str = "your bearer token (the demo seed prints them)") -> None:
    parser.add_argument(
        "--token", default=None, help=f"{help}; default: the BOOKIJI_TOKEN environment variable"
    )


def on_terminal() -> bool:
    """Progress frames (`\r` lines) are written to stderr only when it is a terminal, never
    into a pipe or a log file; the final summary is printed either way."""
    return sys.stderr.isatty()


def add_json(parser: Any) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print the result as JSON, as the HTTP API does"
    )


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def write_private(path: Path, text: str) -> None:
    with open_private(path) as out:
        out.write(text.encode("utf-8"))


def open_private(path: Path) -> BinaryIO:
    """`path` opened for writing bytes, created or truncated with mode 0600: personal data,
    readable by the officer only from the moment the file exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as error:
        raise CliError(f"cannot write {path}: {error.strerror}", 1) from None
    return os.fdopen(fd, "wb")
