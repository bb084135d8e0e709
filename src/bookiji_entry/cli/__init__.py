"""`bkctl`: the command line of Bookiji core (`main`, run by the console script
`bookiji_entry.console:main`).

Every public module of this package that defines `register(subparsers)` adds its
subcommands, each setting `run(args, ...) -> exit status` as its default; `main` calls it with
what its other parameters name by type, wired by the composition root for this one command.
To add a command, add a module here and its top-level commands to COMMANDS (a test checks
the two agree): `bkctl --help` lists COMMANDS without importing a single command module, and
`bkctl X` imports X's module alone (docs/benchmarks.md, "bkctl start-up").
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING

from bookiji_core import __version__

if TYPE_CHECKING:
    from bookiji_entry.bootstrap import Services

# Every top-level command in `bkctl --help` order: (name, module of this package, help).
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("audit", "audit", "tamper-evident history"),
    ("book", "book", "confirm a quote"),
    ("bookings", "bookings", "read bookings"),
    ("catalogue", "catalogue", "a vendor's services, location and hours"),
    ("channels", "channels", "a person's notification channels and opt-outs (admin)"),
    ("db", "db", "database maintenance"),
    ("drill", "drill", "run a weekly drill against the running service and write its evidence"),
    ("flags", "flags", "feature flags"),
    ("notify", "notify", "late vendors reminded; the notifications' dead-letter queue"),
    ("ops", "ops", "operations files (rules, alerts, dashboard, runbooks)"),
    ("outbox", "payments", "outbox status, pause and resume (the payment relay)"),
    ("dlq", "payments", "list, drain or resolve the outbox dead-letter queue"),
    ("ledger", "payments", "reconcile the payments ledger with the payment provider"),
    (
        "principals",
        "principals",
        "invite people and list, rotate or revoke their tokens (admin)",
    ),
    ("privacy", "privacy", "export or delete a person's data (privacy officer)"),
    ("profile", "profile", "record a flame graph (SVG) of a running Bookiji process with py-spy"),
    ("quote", "quote", "ask for a quote"),
    ("rollback", "rollback", "roll back one booking (refund or release, state reversion, audit)"),
    ("seed", "seed", "add the demo pilot data"),
    ("serve", "serve", "run the HTTP API"),
    (
        "simcity",
        "simcity",
        "SimCity: synthetic traffic, deterministic failure runs, fuzzing, load",
    ),
    ("slo", "slo", "service level objectives"),
    (
        "worker",
        "worker",
        "run background workers (outbox, shredder, ...) in this process, or show status",
    ),
)
_MODULE_OF = {name: module for name, module, _help in COMMANDS}


def command_modules() -> list[ModuleType]:
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "register"):
            found.append(module)
    return found


def build_parser(*, only: str | None = "") -> argparse.ArgumentParser:
    """The whole command tree (every module imported); with `only`, the tree of that one
    command's module, every other command listed by name and help alone (None: none)."""
    parser = argparse.ArgumentParser(
        prog="bkctl",
        description="Run and operate Bookiji core: serve the API, migrate, seed, try the flow.",
        epilog="Settings come from BOOKIJI_* environment variables (see README.md).",
    )
    parser.add_argument("--version", action="version", version=f"bkctl (bookiji) {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    if only == "":
        for module in command_modules():
            module.register(commands)
        return parser
    wanted = _MODULE_OF.get(only or "")
    for name, module_name, help_text in COMMANDS:
        if module_name != wanted:
            commands.add_parser(name, help=help_text)
        elif name == only:  # its module's commands, in their place
            importlib.import_module(f"{__name__}.{module_name}").register(commands)
    return parser


def _command_word(words: Sequence[str]) -> str | None:
    """The command asked for: the first word that is not an option (bkctl has no top-level
    option that takes a value)."""
    return next((w for w in words if not w.startswith("-")), None)


def main(argv: Sequence[str] | None = None, *, services: Services | None = None) -> int:
    """Parse, run, and turn every refusal into one line on stderr (a JSON object with the
    stable code under --json) and the exit status docs/cli.md lists. Only the module of the
    command asked for is imported: `bkctl --help` lists every command from COMMANDS."""
    words = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(only=_command_word(words)).parse_args(words)
    from bookiji_entry.cli._dispatch import dispatch

    return dispatch(args, services, own_process=argv is None and services is None)
