"""`column IN (a list)` with the list as one bound value, and constant lists written inline.

SQLAlchemy's `in_(bindparam(..., expanding=True))` renders one placeholder per item on every
execution: the statement's text changes with the count, so it is rendered again each time,
and SQLite's statement cache (keyed by that text) misses and prepares it again. A quote asks
about some forty vendors in four such statements. `any_of` sends the list as one value
instead, in one statement text for any count: on SQLite a JSON array read by `json_each`, on
PostgreSQL a text[] array compared with `= ANY`.

`in_constants` writes a fixed tuple of state names into the SQL itself, once, where `in_`
would bind (and expand) them on every execution too.

Both are for the hot statements; the others keep SQLAlchemy's `in_`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import Boolean, ColumnElement, String, Text, bindparam, literal_column
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator, TypeEngine


class TextList(TypeDecorator[list[str]]):
    """A list of strings as one bound value: JSON text on SQLite, text[] on PostgreSQL."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(Text()))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: Iterable[str] | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        items = [str(item) for item in value]
        return items if dialect.name == "postgresql" else json.dumps(items)


class AnyOf(ColumnElement[bool]):
    """`column` is one of the strings bound as `name` (a list of any length, empty too)."""

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a comparison: SQLite must not get "= 1" appended
    _traverse_internals = [  # noqa: RUF012 (SQLAlchemy's own declaration, a list)
        ("column", InternalTraversal.dp_clauseelement),
        ("values", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[Any], name: str) -> None:
        self.column = column
        self.values = bindparam(name, type_=TextList())


def any_of(column: ColumnElement[Any], name: str) -> ColumnElement[bool]:
    """`column` is one of the strings bound as `name` (a list of any length, empty too)."""
    return AnyOf(column, name).self_group()


@compiles(AnyOf, "sqlite")
def _any_of_sqlite(element: AnyOf, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"{column} IN (SELECT value FROM json_each({compiler.process(element.values, **kw)}))"


@compiles(AnyOf, "postgresql")
def _any_of_postgresql(element: AnyOf, compiler: SQLCompiler, **kw: Any) -> str:
    # `= ANY(array)`, not `IN (SELECT unnest(...))`: the planner takes the array as an index
    # condition; of the subquery it assumes a hundred rows and may hash every active booking.
    column = compiler.process(element.column, **kw)
    return f"{column} = ANY({compiler.process(element.values, **kw)})"


@compiles(AnyOf)
def _any_of_other(element: AnyOf, compiler: SQLCompiler, **kw: Any) -> str:
    raise NotImplementedError(f"no storage support for {compiler.dialect.name}")


_NAME = re.compile(r"[a-z][a-z0-9_]*")


def in_constants(column: ColumnElement[Any], names: Collection[str]) -> ColumnElement[bool]:
    """`column IN ('a', 'b')` with the names in the statement's text: only plain lower-case
    identifiers (state names), which need no quoting beyond the quotes."""
    for name in names:
        if not _NAME.fullmatch(name):
            raise ValueError(f"not a plain constant name: {name!r}")
    return column.in_([literal_column(f"'{name}'", String()) for name in names])
