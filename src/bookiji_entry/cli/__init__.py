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
import pkgutil
import sys
from collections.abc import Callable, Sequence
from types import ModuleType

from bookiji_core import __version__
from bookiji_core.errors import DomainError, InvalidInput
from bookiji_entry import logs, settings
from bookiji_entry.bootstrap import Services, inject
from bookiji_entry.cli._common import CliError, Wiring
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
    """Parse, run, and turn every refusal into a message on stderr and a non-zero status."""
    args = build_parser().parse_args(argv)
    if services is None:  # a process of its own (tests that inject services keep theirs)
        _configure_logs()
    try:
        return run(args.run, args, services)
    except SettingsError as exc:
        return _fail(f"configuration: {exc}", 2)
    except InvalidInput as exc:
        return _fail(f"{exc.code} ({exc.field}): {exc.message}", exit_code_for(exc.code))
    except DomainError as exc:
        return _fail(f"{exc.code}: {exc.message}", exit_code_for(exc.code))
    except EdgeError as exc:
        return _fail(f"{exc.code}: {exc.detail}", exit_code_for(exc.code))
    except CliError as exc:
        return _fail(str(exc), exc.status)
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


def _fail(message: str, status: int) -> int:
    print(f"bkctl: {message}", file=sys.stderr)
    return status
