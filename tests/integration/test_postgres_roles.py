"""Least privilege on PostgreSQL: `bkctl db upgrade` with a migration URL creates the owner
and service roles, migrates as the owner and grants the service role only what it needs; the
service's own connection is refused TRUNCATE, UPDATE and DELETE of history, and DDL."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from bookiji_adapters.memory import InMemoryTelemetry
from bookiji_core.access import AccessLogEntry
from bookiji_entry.bootstrap import bootstrap
from bookiji_entry.cli import main
from bookiji_entry.settings import Profile, Settings

pytestmark = pytest.mark.postgres
NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)


@pytest.fixture
def roles(empty_postgres_url: str) -> Iterator[tuple[str, str, str]]:
    """Role names of this test alone (roles are per server), dropped afterwards."""
    prefix = f"sec_{secrets.token_hex(3)}"
    owner, service, app = f"{prefix}_owner", f"{prefix}_service", f"{prefix}_app"
    admin = create_engine(make_url(empty_postgres_url).set(drivername="postgresql+psycopg"))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE ROLE "{app}" LOGIN'))
    yield owner, service, app
    with admin.begin() as conn:
        conn.execute(text(f'DROP OWNED BY "{owner}", "{service}", "{app}" CASCADE'))
        for role in (app, service, owner):
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
    admin.dispose()


def test_the_service_role_is_refused_truncate_update_delete_and_ddl(
    empty_postgres_url: str,
    roles: tuple[str, str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    owner, service, app = roles
    migration_url = make_url(empty_postgres_url).set(drivername="postgresql+psycopg")
    service_url = migration_url.set(username=app)
    settings = Settings(
        profile=Profile.TEST,
        database_url=service_url.render_as_string(hide_password=False),
        migration_database_url=migration_url.render_as_string(hide_password=False),
        db_owner_role=owner,
        db_service_role=service,
    )
    services = bootstrap(settings, telemetry=InMemoryTelemetry())

    assert main(["db", "upgrade"], services=services) == 0
    out = capsys.readouterr().out
    assert f"the service connects as a member of {service}" in out
    # The service works as the service: a request's history write goes through.
    with services.database.unit_of_work() as uow:
        uow.access_log.append(AccessLogEntry("cus_1", "adm_1", "support", "bk_1", NOW))
        uow.commit()
    assert [r.problem for r in services.database.verify_history()] == [None] * 4
    # And is refused everything else, by PostgreSQL's privileges (not only the triggers).
    engine = create_engine(service_url)
    refused = {}
    for statement in (
        "TRUNCATE access_log",
        "UPDATE access_log SET purpose = 'x'",
        "DELETE FROM ledger_entries",
        "UPDATE booking_audit SET actor_id = 'x'",
        "DELETE FROM history_heads",
        "CREATE TABLE sneaky (id int)",
        "DROP TABLE bookings",
        "ALTER TABLE access_log DISABLE TRIGGER ALL",
    ):
        with pytest.raises(ProgrammingError) as error, engine.begin() as conn:
            conn.execute(text(statement))
        refused[statement] = str(error.value.orig).splitlines()[0]
    engine.dispose()
    print("\n".join(f"{k}: {v}" for k, v in refused.items()))
    assert refused["TRUNCATE access_log"] == "permission denied for table access_log"
    assert (
        refused["UPDATE access_log SET purpose = 'x'"] == "permission denied for table access_log"
    )
    assert refused["CREATE TABLE sneaky (id int)"] == "permission denied for schema public"
    assert all("permission denied" in v or "must be owner" in v for v in refused.values())
    # Migrating again, as the service (no migration URL): it only checks the schema is current.
    again = bootstrap(
        Settings(
            profile=Profile.TEST,
            database_url=settings.database_url,
            db_owner_role=owner,
            db_service_role=service,
        ),
        telemetry=InMemoryTelemetry(),
    )
    assert main(["db", "upgrade"], services=again) == 0
    assert again.database.check_privileges() == []
    services.database.dispose()
    again.database.dispose()


def test_a_superuser_service_is_reported(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    services = bootstrap(
        Settings(profile=Profile.TEST, database_url=postgres_url), telemetry=InMemoryTelemetry()
    )
    assert "has SUPERUSER" in " ".join(services.database.check_privileges())
    services.database.dispose()
