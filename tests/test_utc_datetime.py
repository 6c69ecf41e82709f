"""Instants read back from either database are aware and in UTC, whatever the driver gives."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from pole.utc_datetime import UTCDateTime

PARIS_SUMMER = timezone(timedelta(hours=2))
DRIVER_VALUES = [
    None,
    datetime(2027, 3, 28, 1, 30),  # noqa: DTZ001 (naive: what SQLite's column gives back)
    datetime(2027, 3, 28, 1, 30, 15, 250, tzinfo=UTC),
    datetime(2026, 10, 25, 2, 30, tzinfo=PARIS_SUMMER),
]


@pytest.mark.parametrize("value", DRIVER_VALUES, ids=["none", "naive", "utc", "offset"])
def test_postgresql_reads_the_value_process_result_value_gives(value):
    dialect = postgresql.psycopg.dialect()
    column = UTCDateTime().dialect_impl(dialect)
    process = column.result_processor(dialect, None)
    assert process(value) == column.process_result_value(value, dialect)
    if value is not None:
        assert process(value).tzinfo is UTC


@pytest.mark.parametrize(
    "text", [None, "2027-03-28 01:30:00", "2026-10-25 00:30:00.000250"], ids=["none", "s", "us"]
)
def test_sqlite_reads_the_value_process_result_value_gives(text):
    dialect = sqlite.dialect()
    column = UTCDateTime().dialect_impl(dialect)
    process = column.result_processor(dialect, None)
    parse = column.impl_instance.result_processor(dialect, None)
    assert process(text) == column.process_result_value(parse(text), dialect)
    if text is not None:
        assert process(text).tzinfo is UTC
