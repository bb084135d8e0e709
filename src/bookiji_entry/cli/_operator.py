"""The operator behind an ops command: whoever can reach the database acts as an admin."""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from bookiji_core.access import Principal, Role


def add_operator(parser: Any) -> None:
    parser.add_argument(
        "--as",
        dest="operator",
        default=None,
        help="who you are, for the audit trail (default: your login name)",
    )


def operator(args: argparse.Namespace) -> Principal:
    name = args.operator or getpass.getuser() or "operator"
    return Principal(Role.ADMIN, f"cli:{name}")
