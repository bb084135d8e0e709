"""`bkctl`: the command line of Bookiji core (console script `bookiji_entry.cli:main`).

Every public module of this package that defines `register(subparsers)` adds its
subcommands, each setting `run(args, context) -> exit status` as its default. To add a
command, add a module here.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType

from bookiji_core.errors import DomainError, InvalidInput
from bookiji_entry.bootstrap import Services
from bookiji_entry.cli._common import CliError, Context
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
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in command_modules():
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None, *, services: Services | None = None) -> int:
    """Parse, run, and turn every refusal into a message on stderr and a non-zero status."""
    args = build_parser().parse_args(argv)
    context = Context(services)
    try:
        return int(args.run(args, context))
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


def _fail(message: str, status: int) -> int:
    print(f"bkctl: {message}", file=sys.stderr)
    return status
