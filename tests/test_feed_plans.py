"""Every feed reads the booking table on index ranges, never by scanning it whole.

A city's Pôle holds 150,000 bookings and 5,000 calendar apps poll them: a feed whose query
scans the table costs in proportion to the city, not to the feed. The statements are caught
as the real feed requests run them, then explained with the same parameters. PostgreSQL
picks by statistics, which a test database does not have: its sequential scans are turned
off for the explanation, so that the plan shows whether an index can bound the read at all
(its plans on a large copy of the bench year are in bench/README.md).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pole.db import db
from tests.test_feeds import FEEDS, _fresh_feed_state, building, feed_url  # noqa: F401


def booking_plans(client, url: str, backend: str) -> list[list[str]]:  # noqa: ANN001
    """The query plan of each statement of this request that reads the booking table."""
    caught: list[tuple[str, object]] = []

    def catch(_conn, _cursor, statement, parameters, *_args) -> None:  # noqa: ANN001
        if statement.lstrip().startswith(("SELECT", "WITH")) and " booking" in statement:
            caught.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", catch)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", catch)
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        if backend == "sqlite":
            return [
                [row[3] for row in cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)]
                for statement, parameters in caught
            ]
        cursor.execute("SET enable_seqscan = off")
        plans = []
        for statement, parameters in caught:
            cursor.execute(f"EXPLAIN {statement}", parameters)
            plans.append([row[0].strip().removeprefix("->  ") for row in cursor.fetchall()])
        return plans
    finally:
        connection.rollback()
        connection.close()


def _leading_columns() -> dict[str, str | None]:
    """Each index of the booking table by name, with the column it is ordered by first; None
    for a partial index, whose whole is only its few rows (the public bookings)."""
    table = db.metadata.tables["booking"]
    leading = {
        index.name: None
        if index.dialect_options["postgresql"]["where"] is not None
        else next(iter(index.columns)).name
        for index in table.indexes
    }
    return leading | {"pk_booking": "id"}


def full_reads(plan: list[str], backend: str) -> list[str]:
    """The steps of a plan that read the booking table, or one of its indexes, whole.

    On PostgreSQL an index scan may also read a whole index when its condition leaves out the
    column the index is ordered by first (a start range on a (resource_id, start) index).
    """
    if backend == "sqlite":
        return [step for step in plan if step.startswith("SCAN booking")]
    leading = _leading_columns()
    whole = []
    for step, following in zip(plan, [*plan[1:], ""], strict=True):
        if step.startswith("Seq Scan on booking"):
            whole.append(step)
        words = step.split()
        index = next((w for w in words if w in leading), None)
        if "Index" in step and index is not None and leading[index] is not None:
            condition = following if following.startswith("Index Cond") else ""
            if f"{leading[index]} " not in condition.replace("(", " ").replace(")", " "):
                whole.append(step)
    return whole


@pytest.mark.parametrize("kind", FEEDS)
def test_no_feed_scans_the_whole_booking_table(
    client,
    building,  # noqa: F811  (the fixture imported above)
    backend,
    kind,
):
    plans = booking_plans(client, feed_url(building, kind), backend)
    assert plans, "the feed read no booking"
    for plan in plans:
        assert not full_reads(plan, backend), "\n".join(plan)
