"""The report's statement is the same text all through a period: the moment it is read is
bound, so SQLite's and psycopg's statement caches keep it from one request to the next."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from pole.reports.services.sql import Stretch, Sums, seconds

PARIS = ZoneInfo("Europe/Paris")
LO, HI = datetime(2026, 12, 31, 23, tzinfo=UTC), datetime(2027, 12, 31, 23, tzinfo=UTC)
ROOMS = {1: {str(d): [[480, 1140]] for d in range(6)}, 2: {"0": [[510, 720]]}}
STRETCHES = [Stretch(1, 0, seconds(LO), seconds(HI))]


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_the_text_does_not_change_with_the_moment_it_is_read(dialect: str) -> None:
    def statement(now: datetime):  # noqa: ANN202
        return Sums(dialect, PARIS, LO, HI).statement(
            [1, 2, 3], ROOMS, STRETCHES, [3], [date(2027, 3, 28), date(2027, 10, 31)], now
        )

    morning = statement(datetime(2027, 5, 4, 8, 0, 0, 250, tzinfo=UTC))
    evening = statement(datetime(2027, 5, 4, 19, 30, 12, tzinfo=UTC))
    assert morning.text == evening.text
    values = {name: bind.value for name, bind in evening._bindparams.items()}
    assert values["until"] == seconds(datetime(2027, 5, 4, 19, 30, 12, tzinfo=UTC))
    after = statement(datetime(2028, 2, 1, tzinfo=UTC))  # the period is over: up to its end
    assert after.text == morning.text
    assert after._bindparams["until"].value == seconds(HI)
