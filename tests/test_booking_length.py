"""No booking lasts longer than LONGEST_BOOKING (31 days): the rules refuse it, and the database
too, on both databases, whatever writes the row. The reads of a window rely on it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from bench import data as bench_data
from pole.bookings.models import LONGEST_BOOKING, LONGEST_BUFFER, LONGEST_OCCUPATION, Booking
from pole.db import db
from pole.feeds import booking_rows
from pole.resources.forms import ResourceForm
from tests.factories import make_booking, make_organisation, make_resource
from tests.test_sites_migration import every_row, run

REVISION = "0020_h37_booking_length"
PREVIOUS = "0017_h29_feed_state"
MONDAY_10H = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_one_bound_for_bookings_and_their_buffers_everywhere():
    assert LONGEST_OCCUPATION == LONGEST_BOOKING + LONGEST_BUFFER
    assert booking_rows.LONGEST_BOOKING is LONGEST_BOOKING  # the feeds read the same one
    bounds = {  # what the resource form lets a manager give a room, at most
        name: max(getattr(v, "max", 0) for v in getattr(ResourceForm, name).kwargs["validators"])
        for name in ("max_duration_minutes", "buffer_minutes")
    }
    assert timedelta(minutes=bounds["max_duration_minutes"]) == LONGEST_BOOKING
    assert timedelta(minutes=bounds["buffer_minutes"]) == LONGEST_BUFFER


def _stretch(booking_id: int, length: timedelta) -> None:
    """Give the booking this length through a raw UPDATE, as a script or a bug might."""
    booking = db.session.get(Booking, booking_id)
    end = booking.start + length
    db.session.execute(
        sa.update(Booking).where(Booking.id == booking_id).values(end=end, occupied_until=end)
    )
    db.session.commit()


@pytest.mark.parametrize(
    "length, refused",
    [
        (LONGEST_BOOKING, False),
        (LONGEST_BOOKING + timedelta(milliseconds=1), True),
        (LONGEST_BOOKING + timedelta(minutes=15), True),
        (timedelta(days=365), True),
    ],
    ids=["31-days", "a-millisecond-more", "a-quarter-more", "a-year"],
)
def test_the_database_refuses_a_booking_longer_than_31_days(app, length, refused):
    booking = make_booking(make_resource(), make_organisation(), MONDAY_10H, hours=2)
    if not refused:
        _stretch(booking.id, length)
        assert db.session.get(Booking, booking.id).end == MONDAY_10H + length
        return
    with pytest.raises(sa.exc.IntegrityError, match="ck_booking_length"):
        _stretch(booking.id, length)
    db.session.rollback()
    assert db.session.get(Booking, booking.id).end == MONDAY_10H + timedelta(hours=2)


def test_the_database_refuses_an_over_long_row_inserted_raw(app):
    resource, organisation = make_resource(), make_organisation()
    row = {
        "resource_id": resource.id,
        "organisation_id": organisation.id,
        "title": "Stockage",
        "description": "",
        "is_public": False,
        "start": MONDAY_10H,
        "end": MONDAY_10H + timedelta(days=40),
        "occupied_until": MONDAY_10H + timedelta(days=40),
        "quantity": 1,
        "exclusive": True,
        "status": "confirmed",
        "sequence": 0,
        "created_at": MONDAY_10H,
        "updated_at": MONDAY_10H,
        "decision_note": "",
        "quota_override_note": "",
    }
    with pytest.raises(sa.exc.IntegrityError, match="ck_booking_length"):
        db.session.execute(sa.insert(Booking), [row])
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0


def test_the_bench_year_goes_through_the_migration_and_back_untouched(scratch_app):
    app = scratch_app
    with app.app_context():
        run(app, "upgrade")
        facts = bench_data.build(app, one_offs=400, today=date(2027, 3, 15))
        assert facts.bookings > 400
        longest = max(b.end - b.start for b in db.session.scalars(sa.select(Booking)))
        assert longest <= LONGEST_BOOKING  # the bench (and the demo it starts from) stay within
        db.session.remove()
        # Later revisions first go back to this one (0021's downgrade drops the mails not
        # rendered yet): what this revision's own round trip must keep is the year as it is here.
        run(app, "downgrade", REVISION)
        db.session.remove()
        at_head = every_row()
        # Rebuilding the booking table on SQLite must not lose what the history points to.
        assert any(dict(row)["booking_id"] is not None for row in at_head["event"])

        run(app, "downgrade", PREVIOUS)
        db.session.remove()
        assert every_row() == at_head
        run(app, "upgrade", REVISION)
        db.session.remove()
        assert every_row() == at_head
        db.engine.dispose()


def _lasting(resource, organisation, end: datetime, length: timedelta, title: str) -> int:  # noqa: ANN001
    return make_booking(resource, organisation, end - length, end=end, title=title).id


def test_a_window_finds_what_meets_it_on_a_bounded_range_of_starts(app):
    # Booking.meeting and Booking.not_over read starts from LONGEST_BOOKING before the window:
    # the longest booking that still meets it is found, one that ends as it begins is not.
    resource, organisation = make_resource(kind="equipment", quantity=5), make_organisation()
    start, end = MONDAY_10H, MONDAY_10H + timedelta(hours=2)
    tick = timedelta(milliseconds=1)
    ids = {
        "longest, ends just inside": _lasting(
            resource, organisation, start + tick, LONGEST_BOOKING, "a"
        ),
        "longest, ends as it begins": _lasting(resource, organisation, start, LONGEST_BOOKING, "b"),
        "inside": _lasting(resource, organisation, end - tick, timedelta(hours=1), "c"),
        "begins as it ends": _lasting(
            resource, organisation, end + timedelta(hours=1), timedelta(hours=1), "d"
        ),
    }

    def found(condition: sa.ColumnElement[bool]) -> set[str]:
        hits = set(db.session.scalars(sa.select(Booking.id).where(condition)))
        return {name for name, booking_id in ids.items() if booking_id in hits}

    assert found(Booking.meeting(start, end)) == {"longest, ends just inside", "inside"}
    assert found(Booking.meeting(start, end)) == found(Booking.overlapping(start, end))
    assert found(Booking.not_over(start)) == {
        "longest, ends just inside",
        "inside",
        "begins as it ends",
    }
