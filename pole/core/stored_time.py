"""Instants read as the driver gives them, for queries that load many rows.

SQLAlchemy's UTCDateTime (pole.db) turns SQLite's text into a naive datetime, then an aware
one: about 4 µs a value, most of a read of a few hundred rows. `stored_utc` reads the column
as the driver gives it — PostgreSQL an aware datetime, SQLite its text with "+00:00" added —
and `as_utc` turns that into the same aware UTC datetime at once (`datetime.fromisoformat`).

For sums done by the database, `epoch_seconds` reads an instant as whole seconds since 1970
(UTC) on both databases, and `least` / `greatest` compare two values (SQLite's scalar MIN
and MAX).
"""

from __future__ import annotations

import sqlite3
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


def epoch_sql(column: str, *, sqlite: bool) -> str:
    """SQL for an instant `column` as whole seconds since 1970 UTC (its fraction dropped)."""
    if not sqlite:
        return f"CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"
    if sqlite3.sqlite_version_info >= (3, 38):  # the same integer, without a string
        return f"unixepoch({column})"
    return f"CAST(strftime('%s', {column}) AS INTEGER)"


class epoch_seconds(GenericFunction):  # noqa: N801
    """A UTCDateTime column as whole seconds since 1970 (see `epoch_sql`)."""

    type = sa.BigInteger()
    inherit_cache = True


@compiles(epoch_seconds)
def _epoch_seconds(element: epoch_seconds, compiler: SQLCompiler, **kw: object) -> str:
    column = compiler.process(element.clauses, **kw)
    return epoch_sql(column, sqlite=compiler.dialect.name == "sqlite")


class least(GenericFunction):  # noqa: N801
    """The smaller of its arguments (PostgreSQL's LEAST, SQLite's scalar MIN)."""

    type = sa.BigInteger()
    inherit_cache = True


class greatest(GenericFunction):  # noqa: N801
    """The larger of its arguments (PostgreSQL's GREATEST, SQLite's scalar MAX)."""

    type = sa.BigInteger()
    inherit_cache = True


@compiles(least, "sqlite")
def _least_sqlite(element: least, compiler: SQLCompiler, **kw: object) -> str:
    return f"min({compiler.process(element.clauses, **kw)})"


@compiles(greatest, "sqlite")
def _greatest_sqlite(element: greatest, compiler: SQLCompiler, **kw: object) -> str:
    return f"max({compiler.process(element.clauses, **kw)})"
