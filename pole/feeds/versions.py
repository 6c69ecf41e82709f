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
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter

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
        micros = sa.cast(sa.extract("epoch", last) * 1_000_000, sa.BigInteger)
        return sa.func.json_build_array(count, micros, sequences, highest)
    return sa.func.json_array(count, sa.type_coerce(last, sa.String), sequences, highest)


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


def with_subject(statement: sa.Select, subject: sa.ColumnElement) -> sa.Select:
    """`statement` with its bound "subject" replaced by `subject` (a column of an enclosing
    query), correlated to that column's table only, as are the subqueries it holds."""

    def replace(element: object) -> object:
        if isinstance(element, BindParameter) and element.key == "subject":
            return subject
        if isinstance(element, sa.Select) and element is not statement:
            return with_subject(element, subject)
        return None

    replaced = visitors.replacement_traverse(statement, {}, replace)
    return replaced.correlate(subject.table)
