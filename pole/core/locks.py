"""Writing under a lock, and telling a lost race from a bug.

Every write that checks then inserts runs in `write_transaction()` (SQLite: BEGIN
IMMEDIATE, so writers are serialised) after locking the row it depends on (PostgreSQL:
SELECT ... FOR UPDATE). The database's constraints back this up; a write that still hits
one lost a race and is refused cleanly, never a 500. On SQLite, writers waiting for the lock
wait in order, across threads and processes (pole.core.write_queue), instead of polling it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TypeVar

import sqlalchemy as sa

from pole.core.refusals import LOST_RACE, Refused  # noqa: F401 (LOST_RACE: its old home)
from pole.db import db

EXCLUSION_VIOLATION = "23P01"
UNIQUE_VIOLATION = "23505"

Row = TypeVar("Row")


def lock_row(model: type[Row], row_id: int, missing: Refused) -> Row:
    """Load a row, holding its lock until commit on PostgreSQL; raise `missing` if none."""
    row = db.session.scalar(_lock_query(model), {"row_id": row_id})
    if row is None:
        raise missing
    return row


@cache
def _lock_query(model: type) -> sa.Select:
    """Built once per model: it runs under the write lock, which it should not hold longer."""
    return (
        db.select(model)
        .where(model.id == sa.bindparam("row_id"))
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def is_exclusion_violation(error: sa.exc.IntegrityError) -> bool:
    """PostgreSQL's exclusion constraint refused an overlapping row."""
    return getattr(error.orig, "sqlstate", None) == EXCLUSION_VIOLATION


def is_unique_violation(error: sa.exc.IntegrityError) -> bool:
    """A unique constraint refused a second row (PostgreSQL's SQLSTATE, SQLite's message)."""
    if getattr(error.orig, "sqlstate", None) == UNIQUE_VIOLATION:
        return True
    return "UNIQUE constraint failed" in str(error.orig)


@contextmanager
def lost_race(refusal: Refused, *, exclusion: bool = True, unique: bool = False) -> Iterator[None]:
    """Turn the constraint violation of a lost race into `refusal`; re-raise anything else.

    The failed transaction is rolled back, also when it is a request's outer transaction
    that the service joined: the refusal can then be shown and the request go on.
    """
    try:
        yield
    except sa.exc.IntegrityError as error:
        if (exclusion and is_exclusion_violation(error)) or (unique and is_unique_violation(error)):
            db.session.rollback()
            raise refusal from None
        raise
