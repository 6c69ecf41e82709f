"""The Partage page counts a cancellation as late by when it was cancelled (the record's
booking.cancelled event), not by the booking's last change."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from pole.bookings.models import Booking
from pole.bookings.services import cancel_booking
from pole.db import db
from pole.quotas.sharing import sharing
from pole.timeutil import local_to_utc
from tests.factories import make_booking, make_organisation, make_resource, make_user

# The Monday after the spring change of 2027: 48 hours before it is still winter time.
MONDAY = date(2027, 3, 29)


@pytest.mark.parametrize(
    ("cancelled_before", "late"),
    [
        (timedelta(hours=49), False),
        (timedelta(hours=48), False),  # exactly 48 h before: in time
        (timedelta(hours=47, minutes=59), True),
        (timedelta(hours=1), True),
    ],
    ids=["49h-before", "48h-before-edge", "47h59-before", "1h-before"],
)
def test_a_cancellation_is_late_by_the_time_it_was_made(app, cancelled_before, late):
    hall = make_resource(name="Hall")
    restos = make_organisation(name="Restos du cœur")
    start = local_to_utc(MONDAY, time(10, 0), hall.site.tz)
    booking = make_booking(hall, restos, start, hours=2)
    cancel_booking(booking.id, make_user(is_manager=True), now=start - cancelled_before)
    # A later change moves updated_at to the other side of the edge: it must not count.
    misleading = start - (timedelta(hours=72) if late else timedelta(minutes=30))
    db.session.execute(
        sa.update(Booking).where(Booking.id == booking.id).values(updated_at=misleading)
    )
    db.session.commit()

    tables = sharing(hall.site, MONDAY, MONDAY, now=start + timedelta(days=1))
    rows = next(t for t in tables if t.name == "Hall").rows
    # An organisation with nothing booked nor cancelled late (and no quota) has no row.
    found = {row.organisation.id: row.share.cancelled_late for row in rows}
    assert found == ({restos.id: 120} if late else {})
