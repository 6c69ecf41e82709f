"""A source's version packed into one value, so that the feed link's query reads it too.

A source's version is an aggregate of four values (count, last change, sum of sequences,
highest id). A scalar subquery gives one value: the four travel as a JSON array, which
`unpacked` turns back into the version `booking_version` or `appointment_version` gives,
equal value for value (the last change as an aware UTC datetime, to the microsecond).
"""

from __future__ import annotations

import json
from collections.abc import Hashable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.sql import util as sql_util
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter

from pole.db import UTCDateTime

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def packed(
    dialect: str,
    count: sa.ColumnElement,
    last: sa.ColumnElement,
    sequences: sa.ColumnElement,
    highest: sa.ColumnElement,
) -> sa.ColumnElement:
    """The four aggregates as one JSON array; the last change in microseconds since 1970 on
    PostgreSQL (a JSON timestamp would follow the session's time zone), as stored (naive
    UTC text) on SQLite."""
    if dialect == "postgresql":
        micros = sa.cast(sa.extract("epoch", last) * sa.literal_column("1000000"), sa.BigInteger)
        return sa.func.json_build_array(count, micros, sequences, highest).label("v")
    return sa.func.json_array(count, sa.type_coerce(last, sa.String), sequences, highest).label("v")


def unpacked(value: str | list | None) -> tuple[Hashable, datetime | None]:
    """(version, last change) as the source's own `version` gives them."""
    count, last, sequences, highest = json.loads(value) if isinstance(value, str) else value
    if last is None:
        changed = None
    elif isinstance(last, int):
        changed = _EPOCH + timedelta(microseconds=last)
    else:
        changed = datetime.fromisoformat(last)
        changed = changed.replace(tzinfo=UTC) if changed.tzinfo is None else changed
    return (count, changed, int(sequences), highest), changed


class UncastInstant(UTCDateTime):
    """A UTCDateTime bound without a cast on PostgreSQL: psycopg sends an aware datetime as a
    timestamptz anyway, and "::TIMESTAMP WITH TIME ZONE" after each of the feed link's window
    bounds made its query longer than psycopg's 4 kB (see `shortened`)."""

    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(sa.types.NullType())
        return super().load_dialect_impl(dialect)


INSTANT = UncastInstant()


def with_subject(statement: sa.Select, subject: sa.ColumnElement) -> sa.Select:
    """`statement` with its bound "subject" replaced by `subject` (a column of an enclosing
    query), correlated to that column's table only, as are the subqueries it holds; its bound
    instants are bound uncast (`UncastInstant`)."""

    def replace(element: object) -> object:
        if isinstance(element, BindParameter) and element.key == "subject":
            return subject
        if isinstance(element, BindParameter) and isinstance(element.type, UTCDateTime):
            return sa.bindparam(element.key, type_=INSTANT)
        if isinstance(element, sa.Select) and element is not statement:
            return with_subject(element, subject)
        return None

    replaced = visitors.replacement_traverse(statement, {}, replace)
    return replaced.correlate(subject.table)


def shortened(statement: sa.Select, *tables: tuple[sa.Table, str]) -> sa.Select:
    """`statement` reading each (table, name) under that short name: the feed link's query
    holds five version subqueries, and psycopg parses a query longer than 4 kB again at every
    execution."""
    for table, name in tables:
        statement = sql_util.ClauseAdapter(table.alias(name)).traverse(statement)

    def written_in(element: object) -> object:
        # A bound constant word ("cancelled") is written in: shorter, and nothing to bind.
        value = element.value if isinstance(element, BindParameter) else None
        if isinstance(value, str) and value.isidentifier():
            return sa.literal_column(f"'{value}'", element.type)
        return None

    return visitors.replacement_traverse(statement, {}, written_in)
