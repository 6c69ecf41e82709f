"""Booking services on real databases: what a volunteer and the manager see happen."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from pole.bookings import services
from pole.bookings.models import Booking, Series
from pole.bookings.recurrence import Recurrence
from pole.db import db
from pole.resources.models import Closure
from pole.timeutil import local_to_utc
from tests.factories import make_booking, make_organisation, make_resource, make_user

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return local_to_utc(day, time(hh, mm), PARIS)


TUESDAY = date(2026, 9, 15)


@pytest.fixture()
def restos(app):
    return make_organisation(name="Restos du cœur", short_name="Restos")


@pytest.fixture()
def volunteer(restos):
    return make_user(restos)


@pytest.fixture()
def manager(app):
    return make_user(is_manager=True)


@pytest.fixture()
def hall(app):
    return make_resource(name="Hall d'accueil")


def book(resource, org, user, start, end, **fields):
    data = services.BookingData(
        resource.id, org.id, start, end, fields.pop("title", "Distribution"), **fields
    )
    return services.create_booking(data, user, now=NOW)


def count(**where) -> int:
    db.session.rollback()
    query = db.select(sa.func.count(Booking.id)).filter_by(**where)
    return db.session.scalar(query)


def test_a_free_slot_is_booked_and_confirmed(hall, restos, volunteer):
    booking = book(hall, restos, volunteer, at(TUESDAY, 10), at(TUESDAY, 12))
    assert booking.status == "confirmed"
    assert booking.created_by_id == volunteer.id
    assert booking.organisation_id == restos.id
    assert booking.start == at(TUESDAY, 10)


def test_touching_bookings_both_fit(hall, restos, volunteer):
    book(hall, restos, volunteer, at(TUESDAY, 10), at(TUESDAY, 12))
    book(hall, restos, volunteer, at(TUESDAY, 12), at(TUESDAY, 14))
    assert count(status="confirmed") == 2


def test_an_overlapping_booking_is_refused_and_nothing_is_written(hall, restos, volunteer):
    book(hall, restos, volunteer, at(TUESDAY, 10), at(TUESDAY, 12))
    with pytest.raises(services.BookingRefused) as refused:
        book(hall, restos, volunteer, at(TUESDAY, 11), at(TUESDAY, 13))
    assert [r.code for r in refused.value.reasons] == ["overlap"]
    assert count() == 1


def test_the_kitchen_keeps_its_cleaning_time_free(restos, volunteer):
    kitchen = make_resource(name="Cuisine", buffer_minutes=30)
    book(kitchen, restos, volunteer, at(TUESDAY, 10), at(TUESDAY, 12))
    with pytest.raises(services.BookingRefused):
        book(kitchen, restos, volunteer, at(TUESDAY, 12), at(TUESDAY, 13))
    book(kitchen, restos, volunteer, at(TUESDAY, 12, 30), at(TUESDAY, 13))
    assert count() == 2


def test_a_booking_that_needs_approval_is_pending_and_holds_the_slot(restos, volunteer):
    kitchen = make_resource(requires_approval=True)
    pending = book(kitchen, restos, volunteer, at(TUESDAY, 10), at(TUESDAY, 12))
    assert pending.status == "pending"
    with pytest.raises(services.BookingRefused):
        book(kitchen, restos, volunteer, at(TUESDAY, 11), at(TUESDAY, 12))


def test_a_managers_own_booking_needs_no_approval(restos, manager):
    kitchen = make_resource(requires_approval=True)
    assert book(kitchen, restos, manager, at(TUESDAY, 10), at(TUESDAY, 12)).status == "confirmed"


def test_nobody_books_for_an_organisation_they_do_not_belong_to(hall, restos):
    outsider = make_user(make_organisation())
    with pytest.raises(services.BookingRefused) as refused:
        book(hall, restos, outsider, at(TUESDAY, 10), at(TUESDAY, 12))
    assert "membership" in [r.code for r in refused.value.reasons]


def test_a_closure_refuses_bookings_with_its_reason(hall, restos, volunteer):
    db.session.add(
        Closure(
            site_id=hall.site_id,
            start=at(TUESDAY, 0),
            end=at(TUESDAY + timedelta(days=1), 0),
            reason="Élections",
        )
    )
    db.session.commit()
    with pytest.raises(services.BookingRefused) as refused:
        book(hall, restos, volunteer, at(TUESDAY, 10), at(TUESDAY, 12))
    assert any("Élections" in r.message for r in refused.value.reasons)


def test_pooled_equipment_never_lends_more_than_it_has(restos, volunteer):
    tables = make_resource(kind="equipment", quantity=10, name="Tables pliantes")
    book(tables, restos, volunteer, at(TUESDAY, 9), at(TUESDAY, 12), quantity=6)
    book(tables, restos, volunteer, at(TUESDAY, 10), at(TUESDAY, 11), quantity=4)
    with pytest.raises(services.BookingRefused) as refused:
        book(tables, restos, volunteer, at(TUESDAY, 10, 30), at(TUESDAY, 11, 30), quantity=1)
    assert refused.value.reasons[0].field == "quantity"
    book(tables, restos, volunteer, at(TUESDAY, 11), at(TUESDAY, 12), quantity=4)


# Editing, cancelling ---------------------------------------------------------------------


def test_an_edit_is_checked_without_counting_the_booking_itself(hall, restos, volunteer):
    booking = book(hall, restos, volunteer, at(TUESDAY, 10), at(TUESDAY, 12))
    changes = services.BookingChanges(
        start=at(TUESDAY, 10, 30), end=at(TUESDAY, 12, 30), title="Collecte"
    )
    [moved] = services.edit_booking(booking.id, changes, volunteer, now=NOW)
    assert (moved.start, moved.end, moved.title) == (
        at(TUESDAY, 10, 30),
        at(TUESDAY, 12, 30),
        "Collecte",
    )
    assert moved.sequence == 1
    assert moved.updated_at == NOW


def test_an_edit_onto_a_taken_slot_is_refused_and_changes_nothing(hall, restos, volunteer):
    book(hall, restos, volunteer, at(TUESDAY, 14), at(TUESDAY, 16))
    booking = book(hall, restos, volunteer, at(TUESDAY, 10), at(TUESDAY, 12))
    changes = services.BookingChanges(start=at(TUESDAY, 13), end=at(TUESDAY, 15))
    with pytest.raises(services.BookingRefused):
        services.edit_booking(booking.id, changes, volunteer, now=NOW)
    db.session.rollback()
    unchanged = db.session.get(Booking, booking.id)
    assert (unchanged.start, unchanged.sequence) == (at(TUESDAY, 10), 0)


def test_cancelling_keeps_the_row_and_frees_the_slot(hall, restos, volunteer):
    booking = book(hall, restos, volunteer, at(TUESDAY, 10), at(TUESDAY, 12))
    [cancelled] = services.cancel_booking(booking.id, volunteer, now=NOW)
    assert cancelled.status == "cancelled" and cancelled.sequence == 1
    book(hall, restos, volunteer, at(TUESDAY, 10), at(TUESDAY, 12))
    assert count() == 2


def test_another_association_cannot_cancel_our_booking(hall, restos, volunteer):
    booking = book(hall, restos, volunteer, at(TUESDAY, 10), at(TUESDAY, 12))
    stranger = make_user(make_organisation())
    with pytest.raises(services.BookingRefused):
        services.cancel_booking(booking.id, stranger, now=NOW)
    assert count(status="confirmed") == 1


def test_the_manager_approves_and_the_booker_gets_a_mail(app, restos, volunteer, manager, mailbox):
    kitchen = make_resource(requires_approval=True, name="Cuisine équipée")
    pending = book(
        kitchen, restos, volunteer, at(TUESDAY, 10), at(TUESDAY, 12), title="Atelier cuisine"
    )
    with app.test_request_context():
        approved = services.approve_booking(pending.id, manager, now=NOW)
    assert approved.status == "confirmed" and approved.decided_by_id == manager.id
    assert "confirmée" in mailbox.to(volunteer.email)["Subject"]


def test_a_rejection_tells_the_booker_why(app, restos, volunteer, manager, mailbox):
    kitchen = make_resource(requires_approval=True)
    pending = book(kitchen, restos, volunteer, at(TUESDAY, 10), at(TUESDAY, 12))
    with app.test_request_context():
        rejected = services.reject_booking(pending.id, manager, "Cuisine en travaux", now=NOW)
    assert rejected.status == "rejected"
    assert "Cuisine en travaux" in mailbox.to(volunteer.email).get_content()
    book(kitchen, restos, volunteer, at(TUESDAY, 10), at(TUESDAY, 12))  # the slot is free again


def test_a_decided_booking_cannot_be_decided_again(app, restos, volunteer, manager):
    kitchen = make_resource(requires_approval=True)
    pending = book(kitchen, restos, volunteer, at(TUESDAY, 10), at(TUESDAY, 12))
    with app.test_request_context():
        services.approve_booking(pending.id, manager, now=NOW)
        with pytest.raises(services.BookingRefused):
            services.reject_booking(pending.id, manager, "trop tard", now=NOW)


# Series ------------------------------------------------------------------------------------


def weekly(first_day, until, days=(1, 3), start=time(8, 30), end=time(12, 0), **kw) -> Recurrence:
    return Recurrence(first_day, start, end, "weekly", weekdays=frozenset(days), until=until, **kw)


def series_data(resource, org, recurrence, title="Distribution alimentaire"):
    return services.SeriesData(resource.id, org.id, title, recurrence)


def test_a_weekly_series_keeps_its_local_time_across_the_october_change(hall, restos, volunteer):
    recurrence = weekly(date(2026, 10, 13), date(2026, 11, 5))
    series = services.create_series(series_data(hall, restos, recurrence), volunteer, now=NOW)
    starts = [b.start.astimezone(PARIS) for b in series.bookings]
    assert len(starts) == 8
    assert {s.strftime("%H:%M") for s in starts} == {"08:30"}
    utc_hours = [b.start.hour for b in series.bookings]
    assert utc_hours[:4] == [6, 6, 6, 6] and utc_hours[4:] == [7, 7, 7, 7]


def test_a_series_with_a_taken_date_is_refused_whole_and_lists_that_date(hall, restos, volunteer):
    other = make_organisation()
    make_booking(hall, other, at(date(2026, 10, 15), 9), hours=1, title="Expo")
    recurrence = weekly(date(2026, 10, 13), date(2026, 10, 31))
    with pytest.raises(services.SeriesRefused) as refused:
        services.create_series(series_data(hall, restos, recurrence), volunteer, now=NOW)
    assert [c.day for c in refused.value.conflicts] == [date(2026, 10, 15)]
    assert count() == 1
    assert db.session.scalar(db.select(sa.func.count(Series.id))) == 0


def test_skipping_the_conflicting_date_saves_the_rest(hall, restos, volunteer):
    make_booking(hall, make_organisation(), at(date(2026, 10, 15), 9), hours=1)
    recurrence = weekly(date(2026, 10, 13), date(2026, 10, 31))
    series = services.create_series(
        series_data(hall, restos, recurrence), volunteer, skip={date(2026, 10, 15)}, now=NOW
    )
    days = [b.start.astimezone(PARIS).date() for b in series.bookings]
    assert date(2026, 10, 15) not in days and len(days) == 5
    assert series.skipped == ["2026-10-15"]


def test_the_preview_lists_conflicts_without_writing(hall, restos, volunteer):
    make_booking(hall, make_organisation(), at(date(2026, 10, 20), 11), hours=1)
    preview = services.preview_series(
        series_data(hall, restos, weekly(date(2026, 10, 13), date(2026, 10, 31))),
        volunteer,
        now=NOW,
    )
    assert [c.day for c in preview.conflicts] == [date(2026, 10, 20)]
    assert len(preview.bookable) == 5
    assert count() == 1


def test_a_series_whose_time_does_not_exist_on_the_spring_night_reports_it(restos, volunteer):
    night_room = make_resource(max_days_ahead=800)
    recurrence = Recurrence(
        date(2027, 3, 21), time(2, 30), time(3, 30), "weekly", until=date(2027, 4, 4)
    )
    with pytest.raises(services.SeriesRefused) as refused:
        services.create_series(series_data(night_room, restos, recurrence), volunteer, now=NOW)
    [conflict] = refused.value.conflicts
    assert conflict.day == date(2027, 3, 28)
    assert "heure d'été" in conflict.reasons[0].message


def make_weekly_series(hall, restos, volunteer):
    recurrence = weekly(date(2026, 10, 6), date(2026, 10, 31), days=(1,))
    return services.create_series(series_data(hall, restos, recurrence), volunteer, now=NOW)


def test_one_occurrence_is_cancelled_alone(hall, restos, volunteer):
    series = make_weekly_series(hall, restos, volunteer)
    second = series.bookings[1]
    services.cancel_booking(second.id, volunteer, scope="one", now=NOW)
    assert [b.status for b in db.session.get(Series, series.id).bookings] == [
        "confirmed",
        "cancelled",
        "confirmed",
        "confirmed",
    ]


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ("following", ["confirmed", "cancelled", "cancelled", "cancelled"]),
        ("all", ["cancelled", "cancelled", "cancelled", "cancelled"]),
    ],
    ids=["this-and-following", "whole-series"],
)
def test_cancelling_following_or_all_occurrences(hall, restos, volunteer, scope, expected):
    series = make_weekly_series(hall, restos, volunteer)
    services.cancel_booking(series.bookings[1].id, volunteer, scope=scope, now=NOW)
    db.session.rollback()
    assert [b.status for b in db.session.get(Series, series.id).bookings] == expected


def test_moving_one_occurrence_leaves_the_others(hall, restos, volunteer):
    series = make_weekly_series(hall, restos, volunteer)
    first = series.bookings[0]
    day = first.start.astimezone(PARIS).date() + timedelta(days=1)
    services.edit_booking(
        first.id, services.BookingChanges(start=at(day, 14), end=at(day, 16)), volunteer, now=NOW
    )
    db.session.rollback()
    hours = [
        b.start.astimezone(PARIS).strftime("%a %H:%M")
        for b in db.session.get(Series, series.id).bookings
    ]
    assert hours == ["Wed 14:00", "Tue 08:30", "Tue 08:30", "Tue 08:30"]


def test_moving_this_and_following_keeps_each_date_and_changes_the_hours(hall, restos, volunteer):
    series = make_weekly_series(hall, restos, volunteer)
    second = series.bookings[1]
    day = second.start.astimezone(PARIS).date()
    services.edit_booking(
        second.id,
        services.BookingChanges(start=at(day, 13), end=at(day, 15)),
        volunteer,
        scope="following",
        now=NOW,
    )
    db.session.rollback()
    bookings = db.session.get(Series, series.id).bookings
    local = [(b.start.astimezone(PARIS).strftime("%d %H:%M"), b.sequence) for b in bookings]
    # 27 October is after the clock change: still 13:00 local.
    assert local == [("06 08:30", 0), ("13 13:00", 1), ("20 13:00", 1), ("27 13:00", 1)]


def test_moving_following_occurrences_onto_a_taken_date_moves_none(hall, restos, volunteer):
    series = make_weekly_series(hall, restos, volunteer)
    make_booking(hall, make_organisation(), at(date(2026, 10, 27), 13), hours=1)
    second = series.bookings[1]
    day = second.start.astimezone(PARIS).date()
    with pytest.raises(services.SeriesRefused) as refused:
        services.edit_booking(
            second.id,
            services.BookingChanges(start=at(day, 13), end=at(day, 15)),
            volunteer,
            scope="following",
            now=NOW,
        )
    assert [c.day for c in refused.value.conflicts] == [date(2026, 10, 27)]
    db.session.rollback()
    assert {
        b.start.astimezone(PARIS).strftime("%H:%M")
        for b in db.session.get(Series, series.id).bookings
    } == {"08:30"}


# The database's last line of defence -------------------------------------------------------


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite relies on BEGIN IMMEDIATE alone
def test_postgresql_refuses_overlapping_room_bookings_even_behind_the_services_back(
    backend, hall, restos
):
    make_booking(hall, restos, at(TUESDAY, 10), hours=2)
    with pytest.raises(sa.exc.IntegrityError) as error:
        make_booking(hall, restos, at(TUESDAY, 11), hours=2)
    assert "ex_booking_no_overlap" in str(error.value)
    db.session.rollback()
    make_booking(hall, restos, at(TUESDAY, 12), hours=2)  # touching is fine
    cancelled = make_booking(hall, restos, at(TUESDAY, 15), hours=1, status="cancelled")
    make_booking(hall, restos, cancelled.start, hours=1)  # cancelled rows hold nothing
