"""Late cancellations are counted by the report's statement: to the microsecond, as
`rules.is_late_cancellation` counts them, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from pole.db import db, utcnow, write_transaction
from pole.events.record import record
from pole.reports import rules
from pole.reports.services.usage import usage_report
from tests.factories import make_booking, make_organisation, make_resource

MICRO = timedelta(microseconds=1)
H48 = rules.LATE_CANCELLATION


def _cancelled(resource, organisation, start: datetime, cancelled_at: list[datetime]):  # noqa: ANN001
    booking = make_booking(resource, organisation, start, 1, status="cancelled")
    for moment in cancelled_at:
        with write_transaction():
            record(
                "booking.cancelled",
                actor=None,
                now=moment,
                booking=db.session.get(type(booking), booking.id),
            )


@pytest.mark.parametrize(
    ("start", "before", "late"),
    [
        (datetime(2025, 3, 4, 9, 0, tzinfo=UTC), H48, False),  # exactly 48 hours before
        (datetime(2025, 3, 4, 9, 0, tzinfo=UTC), H48 - MICRO, True),
        (datetime(2025, 3, 4, 9, 0, tzinfo=UTC), H48 + MICRO, False),
        (datetime(2025, 3, 4, 9, 0, 0, 999_999, tzinfo=UTC), H48, False),
        (datetime(2025, 3, 4, 9, 0, 0, 999_999, tzinfo=UTC), H48 - MICRO, True),
        (datetime(2025, 3, 4, 23, 59, 59, 999_999, tzinfo=UTC), H48 - MICRO, True),
        (datetime(2025, 3, 4, 23, 59, 59, 999_999, tzinfo=UTC), H48, False),
        (datetime(2025, 3, 1, 0, 0, 0, 500_000, tzinfo=UTC), H48 - MICRO, True),  # over a month
        (datetime(2025, 3, 1, 0, 0, 0, 500_000, tzinfo=UTC), H48 + MICRO, False),
        (datetime(2024, 3, 1, 10, 0, tzinfo=UTC), timedelta(hours=47), True),  # 29 February
        (datetime(2025, 3, 30, 10, 0, tzinfo=UTC), timedelta(hours=47, minutes=59), True),
        (datetime(2025, 3, 30, 10, 0, tzinfo=UTC), timedelta(hours=49), False),
        (datetime(2025, 3, 4, 9, 0, tzinfo=UTC), -timedelta(hours=1), True),  # after its start
    ],
)
def test_a_cancellation_is_late_to_the_microsecond(app, start, before, late) -> None:  # noqa: ANN001
    assert rules.is_late_cancellation(start, start - before) is late
    room = make_resource(name="Salle")
    restos = make_organisation(short_name="Restos")
    _cancelled(room, restos, start, [start - before])
    report = usage_report(
        room.site, rules.Period(date(start.year, 1, 1), date(start.year, 12, 31)), now=utcnow()
    )
    assert report.building_total.cancellations == 1
    assert report.building_total.late_cancellations == int(late)


def test_the_last_cancellation_counts_and_one_without_a_record_is_not_late(app) -> None:  # noqa: ANN001
    room = make_resource(name="Salle")
    restos = make_organisation(short_name="Restos")
    start = datetime(2025, 6, 10, 8, 0, tzinfo=UTC)
    _cancelled(room, restos, start, [start - timedelta(days=5), start - timedelta(hours=2)])
    _cancelled(room, restos, start + timedelta(days=1), [start - timedelta(hours=1)])  # 25 h
    _cancelled(room, restos, start + timedelta(days=2), [])
    _cancelled(room, restos, start + timedelta(days=9), [start])  # early
    report = usage_report(room.site, rules.Period(date(2025, 1, 1), date(2025, 12, 31)))
    assert report.building_total.cancellations == 4
    assert report.building_total.late_cancellations == 2
