"""`bkctl db upgrade`: apply the database migrations."""

from __future__ import annotations

import argparse
from typing import Any

from bookiji_entry.bootstrap import Database
from bookiji_entry.settings import Settings


def register(commands: Any) -> None:
    db = commands.add_parser("db", help="database maintenance", description="Database maintenance.")
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = actions.add_parser(
        "upgrade",
        help="apply every pending migration",
        description="Apply every pending Alembic migration to BOOKIJI_DATABASE_URL.",
    )
    upgrade.set_defaults(run=run_upgrade)


def run_upgrade(args: argparse.Namespace, settings: Settings, database: Database) -> int:
    database.upgrade()
    print(f"database is up to date: {settings.database_url_for_display}")
    return 0
