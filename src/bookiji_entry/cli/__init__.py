"""`bkctl`: the command line of Bookiji core (`main`, run by the console script
`bookiji_entry.console:main`).

Every public module of this package that defines `register(subparsers)` adds its
subcommands, each setting `run(args, ...) -> exit status` as its default; `main` calls it with
what its other parameters name by type, wired by the composition root for this one command.
To add a command, add a module here.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import pkgutil
import sys
from collections.abc import Callable, Sequence
from functools import partial
from types import ModuleType

import httpx
from sqlalchemy.exc import InterfaceError, OperationalError

from bookiji_core import __version__
from bookiji_core.errors import DomainError, InvalidInput
from bookiji_entry import logs, settings
from bookiji_entry.bootstrap import Services, inject
from bookiji_entry.cli._common import UNAVAILABLE, CliError, Wiring
from bookiji_entry.problems import EdgeError, exit_code_for
from bookiji_entry.settings import SettingsError


def command_modules() -> list[ModuleType]:
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "register"):
            found.append(module)
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bkctl",
        description="Run and operate Bookiji core: serve the API, migrate, seed, try the flow.",
        epilog="Settings come from BOOKIJI_* environment variables (see README.md).",
    )
    parser.add_argument("--version", action="version", version=f"bkctl (bookiji) {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in command_modules():
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None, *, services: Services | None = None) -> int:
    """Parse, run, and turn every refusal into one line on stderr (a JSON object with the
    stable code under --json) and the exit status docs/cli.md lists."""
    args = build_parser().parse_args(argv)
    if argv is None and services is None:  # bkctl itself: its process's logs (not a test's)
        _configure_logs()
    fail = partial(_fail, as_json=bool(getattr(args, "json", False)))
    try:
        return run(args.run, args, services)
    except SettingsError as exc:
        return fail("configuration", f"configuration: {exc}", 2, str(exc))
    except InvalidInput as exc:
        text = f"{exc.code} ({exc.field}): {exc.message}"
        return fail(exc.code, text, exit_code_for(exc.code), exc.message, field=exc.field)
    except DomainError as exc:
        return fail(exc.code, f"{exc.code}: {exc.message}", exit_code_for(exc.code), exc.message)
    except EdgeError as exc:
        return fail(exc.code, f"{exc.code}: {exc.detail}", exit_code_for(exc.code), exc.detail)
    except CliError as exc:
        return fail(exc.code, str(exc), exc.status)
    except (OperationalError, InterfaceError) as exc:  # the database does not answer
        reason = str(exc.orig or exc).strip().splitlines()[0]
        if "no such table" in reason:  # SQLite: a file nobody migrated
            text = f"the database{_where()} has no schema: run bkctl db upgrade ({reason})"
            return fail("database_not_migrated", text, UNAVAILABLE)
        text = f"the database{_where()} is unavailable: {reason}"
        return fail("database_unavailable", text, UNAVAILABLE)
    except httpx.TransportError as exc:
        text = f"the service does not answer: {exc or type(exc).__name__}"
        return fail("service_unavailable", text, UNAVAILABLE)
    except KeyboardInterrupt:
        return 130


def run(command: Callable[..., int], args: argparse.Namespace, services: Services | None) -> int:
    """Call a command with what its parameters name by type, wired for it alone: nothing for a
    command that needs only its arguments (`bkctl slo`), the `Wiring` itself for one that
    wires when it is ready (`bkctl serve`)."""
    wiring = Wiring(services)
    first, *others = inspect.signature(command, eval_str=True).parameters.values()
    given: dict[str, object] = {first.name: args}
    for parameter in others:
        name = parameter.name
        if parameter.annotation is Wiring:
            given[name] = wiring
        elif parameter.default is inspect.Parameter.empty:
            break
    else:
        return int(command(**given))
    with wiring() as wired:
        if getattr(args, "token", "") is None:  # --token not given: BOOKIJI_TOKEN
            args.token = wired.settings.token
        return int(inject(command, wired, **given))


def _configure_logs() -> None:
    try:
        level = settings.current().log_level
    except SettingsError:
        level = "info"  # the command itself reports the bad setting
    logs.configure(level)


def _where() -> str:
    try:
        return f" at {settings.current().database_url_for_display}"
    except SettingsError:
        return ""


def _fail(
    code: str,
    text: str,
    status: int,
    message: str | None = None,
    *,
    as_json: bool,
    **extra: str,
) -> int:
    if as_json:
        problem = {"code": code, "message": message or text, **extra, "exit_status": status}
        print(json.dumps(problem, ensure_ascii=False), file=sys.stderr)
    else:
        print(f"bkctl: {text}", file=sys.stderr)
    return status
