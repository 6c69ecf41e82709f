"""Reads of a window start their index scan LONGEST_OCCUPATION before it, and miss nothing.

The longest booking a resource allows (31 days, the resource form's largest maximum) with
the longest buffer (24 h), starting before a day and reaching into it, is still found by the
day's reads (grids, booking checks, suggestions), on both databases.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from wtforms.validators import NumberRange

from pole.bookings import services
from pole.bookings.models import LONGEST_OCCUPATION
from pole.resources.forms import ResourceForm
from pole.timeutil import local_to_utc
from tests.factories import make_booking, make_organisation, make_resource, make_user

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
DAY = date(2026, 11, 20)
MONTH_OF_MINUTES, DAY_OF_MINUTES = 31 * 24 * 60, 24 * 60


def _form_maximum(field) -> int:  # noqa: ANN001 (an unbound WTForms field)
    return next(v.max for v in field.kwargs["validators"] if isinstance(v, NumberRange))


def test_the_bound_covers_the_longest_duration_and_buffer_a_resource_may_have():
    longest = _form_maximum(ResourceForm.max_duration_minutes)
    buffer = _form_maximum(ResourceForm.buffer_minutes)
    assert (longest, buffer) == (MONTH_OF_MINUTES, DAY_OF_MINUTES)
    assert timedelta(minutes=longest + buffer) <= LONGEST_OCCUPATION


@pytest.fixture()
def long_stay(app):
    """A storage room booked for the longest allowed, ending (buffer included) inside DAY."""
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    volunteer = make_user(restos)
    room = make_resource(
        name="Réserve", max_duration_minutes=MONTH_OF_MINUTES, buffer_minutes=DAY_OF_MINUTES
    )
    day_start = local_to_utc(DAY, time(0, 0), PARIS)
    # Occupied until 01:00 on DAY: it starts 31 days + 23 h before the day.
    start = day_start - timedelta(minutes=MONTH_OF_MINUTES + DAY_OF_MINUTES) + timedelta(hours=1)
    data = services.BookingData(
        room.id, restos.id, start, start + timedelta(minutes=MONTH_OF_MINUTES), "Stockage"
    )
    booking = services.create_booking(data, volunteer, now=NOW)
    assert booking.occupied_until == day_start + timedelta(hours=1)
    return room, restos, volunteer, booking, day_start


def test_the_days_grid_rows_hold_a_booking_as_long_as_allowed_that_began_before(long_stay):
    room, _, _, booking, day_start = long_stay
    rows = services.active_rows([room.id], day_start, day_start + timedelta(days=1))
    assert [row.id for row in rows] == [booking.id]


def test_the_booking_checks_see_it_and_refuse_its_buffer(long_stay):
    room, restos, volunteer, booking, day_start = long_stay
    found = services.active_bookings([room.id], day_start, day_start + timedelta(days=1))
    assert [b.id for b in found] == [booking.id]
    data = services.BookingData(
        room.id, restos.id, day_start, day_start + timedelta(hours=2), "Inventaire"
    )
    with pytest.raises(services.BookingRefused):
        services.create_booking(data, volunteer, now=NOW)
    later = services.BookingData(
        room.id, restos.id, day_start + timedelta(hours=1), day_start + timedelta(hours=2), "Tri"
    )
    assert services.create_booking(later, volunteer, now=NOW).id != booking.id


def test_the_day_and_week_pages_show_it(long_stay, login_as):
    room, _, volunteer, _, _ = long_stay
    client = login_as(volunteer)
    for path in (f"/agenda?date={DAY}", f"/salles/{room.id}/semaine?date={DAY}"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert "Stockage" in page.get_data(as_text=True), path


def test_a_booking_that_only_touches_the_window_is_not_in_it(app):
    restos = make_organisation()
    room = make_resource(max_duration_minutes=MONTH_OF_MINUTES, buffer_minutes=DAY_OF_MINUTES)
    day_start = local_to_utc(DAY, time(0, 0), PARIS)
    make_booking(
        room,
        restos,
        day_start - LONGEST_OCCUPATION,
        end=day_start - timedelta(minutes=DAY_OF_MINUTES),
        occupied_until=day_start,
    )
    assert services.active_rows([room.id], day_start, day_start + timedelta(days=1)) == []
