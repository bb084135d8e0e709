"""`bkctl ops export DIR`: write the operations files of this installed version out.

The Prometheus rules, alerts and their promtool tests, the example Prometheus configuration, the
Grafana dashboard, the runbooks and the drills ship inside the package (`ops_files`, a copy of
the repository's ops/), so a deployer who installed a wheel has the ones that match the code.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

from bookiji_entry.cli._common import CliError

PROMETHEUS_CONFIG = Path("prometheus") / "prometheus.yml"
# The two lines of the example Prometheus configuration a deployment makes its own.
_SETTINGS = {
    "runbook_base_url": re.compile(r'^(\s+runbook_base_url: )"[^"]*"$', re.M),
    "env": re.compile(r'^(\s+env: )"[^"]*"$', re.M),
}


def register(commands: Any) -> None:
    ops = commands.add_parser(
        "ops",
        help="operations files (rules, alerts, dashboard, runbooks)",
        description="The operations files that ship with this version of Bookiji.",
    )
    actions = ops.add_subparsers(dest="ops_command", metavar="ACTION", required=True)
    export = actions.add_parser(
        "export",
        help="write the rules, alerts, dashboard and runbooks into DIR",
        description=(
            "Write prometheus/ (recording rules, alerts, promtool tests, an example "
            "prometheus.yml), grafana/bookiji.json, runbooks/ and drills/ into DIR. "
            "DIR must be empty or missing unless --force is given."
        ),
    )
    export.add_argument("directory", metavar="DIR", type=Path)
    export.add_argument(
        "--runbook-base-url",
        metavar="URL",
        help="in prometheus.yml: where the runbooks are published (alerts link there)",
    )
    export.add_argument(
        "--env", metavar="NAME", help="in prometheus.yml: the env label of the scraped targets"
    )
    export.add_argument("--force", action="store_true", help="overwrite files already in DIR")
    export.set_defaults(run=run_export)


def run_export(args: argparse.Namespace) -> int:
    target: Path = args.directory
    if target.exists() and not target.is_dir():
        raise CliError(f"{target} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and not args.force:
        raise CliError(f"{target} is not empty (pass --force to overwrite)")
    base = args.runbook_base_url
    if base is not None and not re.fullmatch(r"https?://[^\s\"]+", base):
        raise CliError(f"--runbook-base-url must be an http:// or https:// URL, got {base!r}")
    if args.env is not None and not re.fullmatch(r"[A-Za-z0-9_.-]+", args.env):
        raise CliError(f"--env must be letters, digits, '.', '_' or '-', got {args.env!r}")
    written = 0
    with as_file(files("bookiji_entry") / "ops_files") as source:
        for path in sorted(source.rglob("*")):
            if not path.is_file() or path.suffix not in (".yml", ".json", ".md"):
                continue
            relative = path.relative_to(source)
            text = path.read_text(encoding="utf-8")
            if relative == PROMETHEUS_CONFIG:
                text = _configured(text, base.rstrip("/") if base else None, args.env)
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_text(text, encoding="utf-8")
            written += 1
    print(f"wrote {written} operations files to {target}")
    return 0


def _configured(text: str, runbook_base_url: str | None, env: str | None) -> str:
    for name, value in (("runbook_base_url", runbook_base_url), ("env", env)):
        if value is None:
            continue
        text, found = _SETTINGS[name].subn(_quoted(value), text)
        if found != 1:
            raise CliError(f"the shipped {PROMETHEUS_CONFIG} has no single {name} line to set")
    return text


def _quoted(value: str) -> Callable[[re.Match[str]], str]:
    return lambda found: f'{found.group(1)}"{value}"'
