"""Least privilege on PostgreSQL (docs/security.md, "Least privilege"): the schema belongs to
an owner role that runs the migrations; the service connects as a member of a service role
that can read and write rows and nothing else.

`upgrade_with_roles` is what `bkctl db upgrade` runs on PostgreSQL, in one transaction: create
the two roles if they are missing (NOLOGIN; it needs CREATEROLE), make the migrating user a
member of the owner role, hand the owner every table, sequence and function of the schema the
migrating user still owns (databases migrated before the roles existed), run the migrations
as the owner (`SET LOCAL ROLE`), then grant the service role:

- USAGE on the schema (no CREATE: no DDL);
- SELECT, INSERT, UPDATE, DELETE on the tables, except the history tables: SELECT and INSERT
  only on `access_log`, `principal_actions` and `ledger_entries`, plus UPDATE of `reason` and
  `reason_salt` on `booking_audit` (erasure); SELECT, INSERT, UPDATE on `history_heads`;
  SELECT on `alembic_version`. Never TRUNCATE, REFERENCES or TRIGGER;
- USAGE on the sequences.

The service process itself (a member of the service role, not of the owner) only checks that
the schema is at the head revision. `check_service` lists what a service connection may do
that it should not.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
from sqlalchemy import Connection, text

APPEND_ONLY = ("access_log", "principal_actions", "ledger_entries", "booking_audit")
ERASABLE = {"booking_audit": ("reason", "reason_salt")}


class RolesRefused(Exception):
    """The migrating user cannot set the roles up, or the service may do too much."""


@attrs.frozen
class Roles:
    owner: str
    service: str
    # The login user of the service's URL, made a member of the service role when it exists.
    service_user: str | None = None
    # False: only tell the service's own connection apart (it checks the schema is current);
    # True: create the roles, migrate as the owner and grant (a migration URL is set).
    manage: bool = True


def _one(conn: Connection, sql: str, **params: object) -> object:
    return conn.execute(text(sql), params).scalar()


def is_service(conn: Connection, roles: Roles) -> bool:
    """True when this connection is the service's own (a member of the service role, not of
    the owner, not a superuser): it may not migrate."""
    row = conn.execute(
        text(
            "SELECT me.rolsuper, pg_has_role(current_user, o.oid, 'MEMBER'), "
            "pg_has_role(current_user, s.oid, 'MEMBER') FROM pg_roles me, pg_roles o, pg_roles s "
            "WHERE me.rolname = current_user AND o.rolname = :owner AND s.rolname = :service"
        ),
        {"owner": roles.owner, "service": roles.service},
    ).first()
    return row is not None and not row[0] and not row[1] and bool(row[2])


def upgrade_with_roles(conn: Connection, roles: Roles, migrate: Callable[[], None]) -> None:
    me = str(_one(conn, "SELECT current_user"))
    may_create = _one(
        conn, "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
    )
    for role in (roles.owner, roles.service):
        if _one(conn, "SELECT 1 FROM pg_roles WHERE rolname = :r", r=role) is not None:
            continue
        if not may_create:
            raise RolesRefused(
                f"role {role} does not exist and {me} may not create roles: create it "
                f"(CREATE ROLE {role} NOLOGIN) or migrate as a user with CREATEROLE"
            )
        # Another database of the server may be creating it at the same moment.
        conn.execute(
            text(
                f'DO $$ BEGIN CREATE ROLE "{role}" NOLOGIN; '
                "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
            )
        )
    if not _one(conn, "SELECT pg_has_role(current_user, :r, 'MEMBER')", r=roles.owner):
        conn.execute(text(f'GRANT "{roles.owner}" TO "{me}"'))
    schema = str(_one(conn, "SELECT current_schema()"))
    conn.execute(text(f'GRANT USAGE, CREATE ON SCHEMA "{schema}" TO "{roles.owner}"'))
    # Extensions (btree_gist, 0002) are created by the database's CREATE privilege.
    database = str(_one(conn, "SELECT current_database()"))
    conn.execute(text(f'GRANT CREATE ON DATABASE "{database}" TO "{roles.owner}"'))
    _adopt(conn, roles.owner)
    conn.execute(text(f'SET LOCAL ROLE "{roles.owner}"'))
    migrate()
    _grant_service(conn, schema, roles.service)
    conn.execute(text("RESET ROLE"))
    user = roles.service_user
    if user and user != me and _missing_member(conn, user, roles.service):
        conn.execute(text(f'GRANT "{roles.service}" TO "{user}"'))


def _missing_member(conn: Connection, user: str, role: str) -> bool:
    """True if login user `user` exists and is not yet a member of `role`."""
    if _one(conn, "SELECT 1 FROM pg_roles WHERE rolname = :r", r=user) is None:
        return False
    return not _one(conn, "SELECT pg_has_role(:u, :r, 'MEMBER')", u=user, r=role)


def _adopt(conn: Connection, owner: str) -> None:
    """Hand the owner what the migrating user created before the roles existed."""
    relations = conn.execute(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v') "
            "AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
        )
    ).scalars()
    for name in list(relations):
        conn.execute(text(f'ALTER TABLE "{name}" OWNER TO "{owner}"'))
    functions = conn.execute(
        text(
            "SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' "
            "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema() "
            "AND p.proowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
        )
    ).scalars()
    for signature in list(functions):
        conn.execute(text(f'ALTER FUNCTION {signature} OWNER TO "{owner}"'))


def _grant_service(conn: Connection, schema: str, service: str) -> None:
    s, r = f'"{schema}"', f'"{service}"'
    conn.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}"))
    conn.execute(text(f"GRANT USAGE ON SCHEMA {s} TO {r}"))
    conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}"))
    for table in APPEND_ONLY:
        conn.execute(text(f"REVOKE UPDATE, DELETE ON {table} FROM {r}"))
    for table, columns in ERASABLE.items():
        conn.execute(text(f"GRANT UPDATE ({', '.join(columns)}) ON {table} TO {r}"))
    conn.execute(text(f"REVOKE DELETE ON history_heads FROM {r}"))
    conn.execute(text(f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {r}"))
    conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}"))


def check_service(conn: Connection, roles: Roles) -> list[str]:
    """What this (service) connection may do that it should not; empty when least-privileged."""
    found: list[str] = []
    me = conn.execute(
        text(
            "SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles "
            "WHERE rolname = current_user"
        )
    ).one()
    for flag, name in (
        (me[1], "SUPERUSER"),
        (me[2], "CREATEROLE"),
        (me[3], "CREATEDB"),
        (me[4], "BYPASSRLS"),
    ):
        if flag:
            found.append(f"{me[0]} has {name}")
    if me[1]:
        return found
    if _one(conn, "SELECT pg_has_role(current_user, :r, 'MEMBER')", r=roles.owner):
        found.append(f"{me[0]} is a member of the owner role {roles.owner}")
    if _one(conn, "SELECT has_schema_privilege(current_schema(), 'CREATE')"):
        found.append(f"{me[0]} may CREATE in the schema (DDL)")
    if _one(conn, "SELECT has_database_privilege(current_database(), 'CREATE')"):
        found.append(f"{me[0]} may CREATE schemas in the database")
    tables = conn.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    ).scalars()
    for table in sorted(tables):
        wrong = ["TRUNCATE", "TRIGGER", "REFERENCES"]
        if table in APPEND_ONLY:
            wrong += ["DELETE"] + ([] if table in ERASABLE else ["UPDATE"])
        for privilege in wrong:
            if _one(conn, "SELECT has_table_privilege(:t, :p)", t=table, p=privilege):
                found.append(f"{me[0]} may {privilege} {table}")
    return found
