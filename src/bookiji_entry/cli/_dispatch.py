"""What `bkctl` does once its arguments are parsed: run the command, wired for it alone, and
turn every refusal into one line on stderr. Apart from the parser (`bookiji_entry.cli`), so
that `bkctl --help` imports none of this. SQLAlchemy's and httpx's errors are recognised
without importing either: a command that never loaded httpx cannot have raised its errors."""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from bookiji_core.errors import DomainError, InvalidInput
from bookiji_entry import logs, settings
from bookiji_entry.cli._common import UNAVAILABLE, CliError, Wiring
from bookiji_entry.problem_codes import EdgeError, exit_code_for
from bookiji_entry.settings import SettingsError

if TYPE_CHECKING:
    from bookiji_entry.bootstrap import Services


def dispatch(args: argparse.Namespace, services: Services | None, *, own_process: bool) -> int:
    """Run the parsed command; the exit status docs/cli.md lists."""
    if own_process:  # bkctl itself: its process's logs (not a test's)
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
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        status = _unavailable(exc, fail)
        if status is None:
            raise
        return status


def _unavailable(exc: Exception, fail: Callable[..., int]) -> int | None:
    """The database or the service does not answer: SQLAlchemy's OperationalError or
    InterfaceError, httpx's TransportError; None for any other exception."""
    database = sys.modules.get("sqlalchemy.exc")
    if database is not None and isinstance(
        exc, (database.OperationalError, database.InterfaceError)
    ):
        reason = str(exc.orig or exc).strip().splitlines()[0]
        if "no such table" in reason:  # SQLite: a file nobody migrated
            text = f"the database{_where()} has no schema: run bkctl db upgrade ({reason})"
            return fail("database_not_migrated", text, UNAVAILABLE)
        text = f"the database{_where()} is unavailable: {reason}"
        return fail("database_unavailable", text, UNAVAILABLE)
    client = sys.modules.get("httpx")
    if client is not None and isinstance(exc, client.TransportError):
        text = f"the service does not answer: {exc or type(exc).__name__}"
        return fail("service_unavailable", text, UNAVAILABLE)
    return None


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
    if getattr(args, "token", "") is None:  # --token not given: BOOKIJI_TOKEN
        args.token = wiring.token()
    return wiring.call(command, **given)


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
