"""`bkctl db upgrade`: apply the database migrations."""

from __future__ import annotations

import argparse
from typing import Any

from bookiji_adapters.sqlalchemy.roles import RolesRefused
from bookiji_entry.bootstrap import Database
from bookiji_entry.cli._common import CliError
from bookiji_entry.settings import Settings


def register(commands: Any) -> None:
    db = commands.add_parser("db", help="database maintenance", description="Database maintenance.")
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = actions.add_parser(
        "upgrade",
        help="apply every pending migration",
        description=(
            "Apply every pending Alembic migration to BOOKIJI_DATABASE_URL. On PostgreSQL: "
            "connect with BOOKIJI_MIGRATION_DATABASE_URL when set, create the owner and "
            "service roles if missing, migrate as the owner, grant the service role, and check "
            "what the service's own connection may do (docs/security.md). Exits 1 if the "
            "service may do more than it needs while a migration URL is set."
        ),
    )
    upgrade.set_defaults(run=run_upgrade)


def run_upgrade(args: argparse.Namespace, settings: Settings, database: Database) -> int:
    try:
        database.upgrade()
    except RolesRefused as refused:
        raise CliError(f"roles: {refused}", 2) from None
    print(f"database is up to date: {settings.database_url_for_display}")
    if not settings.is_postgresql:
        return 0
    findings = database.check_privileges()
    for finding in findings:
        print(f"warning: the service's connection is not least-privileged: {finding}")
    if not findings:
        print(
            f"the service connects as a member of {settings.db_service_role}: no DDL, no "
            "TRUNCATE, no UPDATE or DELETE of history"
        )
    return 1 if findings and settings.migration_database_url else 0
