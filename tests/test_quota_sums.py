"""The database sums what an association holds in a quota's window exactly as the rules count it.

pole.quotas.services.used_in sums in SQL (one query, no rows loaded); rules.usage is the
table-tested arithmetic. Both must agree at the edges: a booking across the end of a month or
of a week, across the daylight-saving change, pending against cancelled, a group of rooms, a
count of bookings.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from pole.bookings.models import Booking
from pole.db import db, utcnow
from pole.quotas import rules
from pole.quotas.services import rules_for, used_in
from pole.timeutil import local_to_utc, to_local
from tests.factories import (
    make_booking,
    make_group,
    make_organisation,
    make_quota,
    make_resource,
)

PARIS = ZoneInfo("Europe/Paris")


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return local_to_utc(day, time(hh, mm), PARIS)


def first_of_next_month() -> date:
    today = to_local(utcnow(), PARIS).date()
    return (today.replace(day=1) + timedelta(days=32)).replace(day=1)


def next_dst_sunday() -> date:
    """The next last Sunday of March or October: the night the clocks change in Paris."""
    day = to_local(utcnow(), PARIS).date() + timedelta(days=1)
    while not (day.month in (3, 10) and day.weekday() == 6 and (day + timedelta(days=7)).day < 8):
        day += timedelta(days=1)
    return day


def held_rows(organisation_id: int) -> list[rules.Held]:
    query = sa.select(Booking.start, Booking.end, Booking.resource_id, Booking.status).where(
        Booking.organisation_id == organisation_id
    )
    return [rules.Held(*row) for row in db.session.execute(query)]


def assert_sums_agree(organisation, resource, around: datetime) -> dict:  # noqa: ANN001
    quota_rules = rules_for(organisation, resource.id)
    assert quota_rules
    windows = [
        (rule, window)
        for rule in quota_rules
        for window in rules.windows_of(rule, around - timedelta(days=1), around, PARIS)
        + rules.windows_of(rule, around, around + timedelta(days=1), PARIS)
    ]
    summed = used_in(organisation.id, windows)
    held = held_rows(organisation.id)
    expected = {(r.id, w.start): rules.usage(r, w, held) for r, w in windows}
    assert summed == expected
    return summed


@pytest.fixture()
def restos(app):  # noqa: ANN001
    return make_organisation(name="Restos du cœur")


def test_a_booking_across_the_end_of_a_month_counts_its_minutes_in_each(restos):
    hall = make_resource(name="Hall")
    make_quota(resource_id=hall.id, period="month", maximum=100)
    first = first_of_next_month()
    last_evening = first - timedelta(days=1)
    make_booking(hall, restos, at(last_evening, 22, 15), end=at(first, 1, 45))
    make_booking(hall, restos, at(last_evening, 10), hours=2)
    make_booking(hall, restos, at(first, 10), hours=3, status="cancelled")
    make_booking(hall, restos, at(first, 14), hours=1, status="pending")
    summed = assert_sums_agree(restos, hall, at(first, 0))
    assert sorted(summed.values()) == [105 + 60, 105 + 120]


def test_a_week_across_the_clock_change_counts_real_minutes(restos):
    office = make_resource(name="Bureau")
    make_quota(resource_id=office.id, period="week", maximum=100)
    sunday = next_dst_sunday()
    make_booking(office, restos, at(sunday - timedelta(days=1), 23), end=at(sunday, 4))
    make_booking(office, restos, at(sunday, 22), end=at(sunday + timedelta(days=1), 1, 30))
    assert_sums_agree(restos, office, at(sunday, 12))


def test_a_group_and_a_count_of_bookings_sum_both_rooms_and_only_starts(restos):
    one, two, other = (make_resource(name=n) for n in ("Bureau 1", "Bureau 2", "Cuisine"))
    offices = make_group("les deux bureaux", one, two)
    make_quota(organisation_id=restos.id, group=offices, period="month", maximum=50)
    make_quota(group=offices, period="week", unit="bookings", maximum=10)
    first = first_of_next_month()
    make_booking(one, restos, at(first, 9), hours=2)
    make_booking(two, restos, at(first, 11), hours=1)
    make_booking(other, restos, at(first, 11), hours=4)  # not in the group
    make_booking(two, restos, at(first - timedelta(days=1), 23), end=at(first, 0, 30))
    make_booking(one, make_organisation(), at(first, 14), hours=2)  # another association
    summed = assert_sums_agree(restos, one, at(first, 12))
    assert 180 + 30 in summed.values()
