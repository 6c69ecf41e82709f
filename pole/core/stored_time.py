"""Instants read as the driver gives them, for queries that load many rows.

SQLAlchemy's UTCDateTime (pole.db) turns SQLite's text into a naive datetime, then an aware
one: about 4 µs a value, most of a read of a few hundred rows. `stored_utc` reads the column
as the driver gives it — PostgreSQL an aware datetime, SQLite its text with "+00:00" added —
and `as_utc` turns that into the same aware UTC datetime at once (`datetime.fromisoformat`).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import GenericFunction


class _stored_utc(GenericFunction):  # noqa: N801  (SQLAlchemy names functions in lower case)
    """A UTCDateTime column as the driver gives it (see the module's docstring)."""

    type = sa.String()
    inherit_cache = True


@compiles(_stored_utc)
def _stored_utc_as_is(element: _stored_utc, compiler: SQLCompiler, **kw: object) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(_stored_utc, "sqlite")
def _stored_utc_with_offset(element: _stored_utc, compiler: SQLCompiler, **kw: object) -> str:
    return f"({compiler.process(element.clauses, **kw)} || '+00:00')"


def stored_utc(column: sa.ColumnElement) -> sa.ColumnElement:
    """A UTCDateTime column read as the driver gives it, labelled as the column; `as_utc`
    reads each value."""
    return _stored_utc(column).label(column.key)


def as_utc(value: str | datetime) -> datetime:
    """A value of a `stored_utc` column as an aware UTC datetime (what UTCDateTime returns)."""
    if value.__class__ is str:
        return datetime.fromisoformat(value)  # SQLite's text, with its "+00:00"
    return value if value.tzinfo is UTC else value.astimezone(UTC)
