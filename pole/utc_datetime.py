"""The column type of every instant: aware datetimes, stored in UTC on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa


class UTCDateTime(sa.types.TypeDecorator):
    """An aware datetime stored in UTC on every database, returned aware in UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        value = value.astimezone(UTC)
        # SQLite has no time zones: store naive UTC so that text comparison orders correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def result_processor(self, dialect: sa.Dialect, coltype: Any) -> Callable[[Any], Any]:  # noqa: ANN401
        """process_result_value after the driver's own conversion, in one call per value.

        TypeDecorator's processor calls a wrapper, then process_result_value: two Python calls
        for each instant read, and a month's grid reads some 700. The same answer
        (tests/test_utc_datetime.py).
        """
        parse = self.impl_instance.result_processor(dialect, coltype)
        if parse is None:  # PostgreSQL: psycopg returns datetimes

            def process(value: Any) -> datetime | None:  # noqa: ANN401
                if value is None:
                    return None
                return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

            return process

        def parse_and_process(value: Any) -> datetime | None:  # noqa: ANN401
            value = parse(value)  # SQLite: text to a naive datetime
            if value is None:
                return None
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

        return parse_and_process
