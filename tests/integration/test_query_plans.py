"""The quote's reads by vendor list stay on the vendor indexes.

The vendor ids go as one bound value (`id_lists.any_of`), of which the planners know no
count: these checks keep them on the vendor indexes rather than, say, every active booking
through the index on state. On SQLite the plan of each statement is read; on PostgreSQL the
list must be an `= ANY(array)` condition, which its planner uses as an index condition (a
`IN (SELECT unnest(...))` it estimated at a hundred rows and hashed the active bookings)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import Executable

from bookiji_adapters.sqlalchemy import SqlAlchemyStorage
from bookiji_adapters.sqlalchemy.bookings import _BUSY, _GET_MANY
from bookiji_adapters.sqlalchemy.catalogue import _SERVICES, _WINDOWS
from bookiji_adapters.sqlalchemy.catalogues import _COMMITMENTS, _HOURS, _OFFERS, _SCHEDULES


def plan(storage: SqlAlchemyStorage, statement: Executable) -> str:
    with storage.engine.connect() as connection:
        compiled = statement.compile(connection)  # type: ignore[attr-defined]
        params: Any = {name: "x" for name in compiled.params}
        rows = connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {compiled.string}",
            tuple(compiled.construct_params(params)[name] for name in compiled.positiontup),
        ).all()
    return " | ".join(row[-1] for row in rows)


@pytest.mark.parametrize(
    ("statement", "index"),
    [
        (_BUSY, "ix_bookings_vendor_id_starts_at"),
        (_COMMITMENTS, "ix_bookings_vendor_id_starts_at"),
        (_WINDOWS, "ix_vendor_windows_vendor_id_starts_at"),
        (_GET_MANY, "sqlite_autoindex_bookings_1"),
    ],
)
def test_reads_by_vendor_list_search_the_vendor_index(
    sqlite_storage: SqlAlchemyStorage, statement: Executable, index: str
) -> None:
    found = plan(sqlite_storage, statement)
    assert f"USING INDEX {index}" in found or "USING PRIMARY KEY" in found, found
    assert "SCAN bookings" not in found and "state=?" not in found, found


@pytest.mark.parametrize("statement", [_SERVICES, _SCHEDULES, _HOURS, _OFFERS])
def test_catalogue_reads_by_vendor_list_do_not_scan_their_table(
    sqlite_storage: SqlAlchemyStorage, statement: Executable
) -> None:
    found = plan(sqlite_storage, statement)
    assert "SEARCH" in found, found


@pytest.mark.parametrize(
    "statement", [_BUSY, _COMMITMENTS, _WINDOWS, _GET_MANY, _SERVICES, _OFFERS]
)
def test_postgresql_compares_the_id_list_with_any(statement: Executable) -> None:
    sql = str(statement.compile(dialect=postgresql.dialect()))  # type: ignore[attr-defined,no-untyped-call]
    assert "unnest" not in sql and "IN (__[POSTCOMPILE" not in sql, sql
    if statement is not _COMMITMENTS:  # one vendor, by equality
        assert "= ANY(%(" in sql, sql
