"""Quotas on real databases: booking, series, edit and approval hold them; the manager may pass."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from pole.bookings import services
from pole.bookings.models import Booking
from pole.bookings.recurrence import Recurrence
from pole.db import db
from pole.quotas import rules
from pole.quotas import services as qs
from pole.quotas.services import standings
from pole.timeutil import local_to_utc
from tests.factories import (
    make_booking,
    make_group,
    make_organisation,
    make_quota,
    make_resource,
    make_user,
)

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
TUESDAY = date(2026, 9, 15)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return local_to_utc(day, time(hh, mm), PARIS)


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
    return make_resource(name="Hall d'accueil", capacity=60)


def book(resource, org, user, start, end, **fields):
    data = services.BookingData(resource.id, org.id, start, end, "Distribution", **fields)
    return services.create_booking(data, user, now=NOW)


def test_a_booking_past_the_monthly_quota_is_refused_in_words(hall, restos, volunteer):
    make_quota(resource=hall, maximum=20)
    make_booking(hall, restos, at(TUESDAY - timedelta(days=1), 6), hours=18)
    with pytest.raises(services.BookingRefused) as refused:
        book(
            hall,
            restos,
            volunteer,
            at(TUESDAY + timedelta(days=1), 13),
            at(TUESDAY, 17) + timedelta(days=1),
        )
    assert [r.message for r in refused.value.reasons] == [
        "Restos du cœur : 18 h sur 20 h ce mois-ci dans « Hall d'accueil » ; cette réservation "
        "de 4 h dépasserait le quota (septembre 2026)."
    ]
    # Exactly the 2 hours left fit; October starts afresh.
    book(hall, restos, volunteer, at(TUESDAY, 14), at(TUESDAY, 16))
    book(hall, restos, volunteer, at(date(2026, 10, 1), 8), at(date(2026, 10, 1), 12))


def test_cancelled_bookings_give_their_hours_back(hall, restos, volunteer):
    make_quota(resource=hall, maximum=4)
    make_booking(hall, restos, at(TUESDAY, 8), hours=4, status="cancelled")
    make_booking(hall, restos, at(TUESDAY, 13), hours=2, status="pending")
    book(hall, restos, volunteer, at(TUESDAY, 15), at(TUESDAY, 17))
    with pytest.raises(services.BookingRefused):
        book(hall, restos, volunteer, at(TUESDAY, 18), at(TUESDAY, 19))


def test_an_organisations_own_quota_replaces_the_default_of_its_kind(hall, restos, volunteer):
    make_quota(resource=hall, maximum=2)
    make_quota(resource=hall, organisation=restos, maximum=6)
    book(hall, restos, volunteer, at(TUESDAY, 8), at(TUESDAY, 13))
    other = make_organisation()
    with pytest.raises(services.BookingRefused):
        book(hall, other, make_user(other), at(TUESDAY, 14), at(TUESDAY, 17))


def test_a_group_counts_both_offices_together(restos, volunteer):
    office_1, office_2 = make_resource(name="Bureau 1"), make_resource(name="Bureau 2")
    make_quota(
        group=make_group("les deux bureaux", office_1, office_2),
        unit="bookings",
        period="week",
        maximum=2,
    )
    book(office_1, restos, volunteer, at(TUESDAY, 9), at(TUESDAY, 10))
    book(office_2, restos, volunteer, at(TUESDAY, 9), at(TUESDAY, 10))
    with pytest.raises(services.BookingRefused) as refused:
        book(office_1, restos, volunteer, at(TUESDAY, 14), at(TUESDAY, 15))
    assert "2 réservations sur 2 réservations cette semaine-là dans les deux bureaux" in str(
        refused.value
    )


def test_the_manager_books_beyond_a_quota_with_a_note_that_is_kept(hall, restos, manager):
    make_quota(resource=hall, maximum=2)
    with pytest.raises(services.BookingRefused) as refused:
        book(hall, restos, manager, at(TUESDAY, 8), at(TUESDAY, 12))
    assert refused.value.has("quota")
    booking = book(
        hall, restos, manager, at(TUESDAY, 8), at(TUESDAY, 12), quota_override_note="Collecte"
    )
    assert booking.quota_override_note == "Collecte"
    # Within the quota, no note is kept.
    within = book(
        hall,
        make_organisation(),
        manager,
        at(TUESDAY, 13),
        at(TUESDAY, 14),
        quota_override_note="inutile",
    )
    assert within.quota_override_note == ""


def test_a_volunteers_note_does_not_pass_a_quota(hall, restos, volunteer):
    make_quota(resource=hall, maximum=2)
    with pytest.raises(services.BookingRefused):
        book(hall, restos, volunteer, at(TUESDAY, 8), at(TUESDAY, 12), quota_override_note="svp")


def weekly(first: date, count: int) -> Recurrence:
    return Recurrence(
        first_day=first,
        start_time=time(8),
        end_time=time(14),
        freq="weekly",
        weekdays=frozenset({first.weekday()}),
        count=count,
    )


def test_a_series_lists_the_dates_past_the_quota_and_saves_once_they_are_skipped(
    hall, restos, volunteer
):
    make_quota(resource=hall, maximum=20)
    data = services.SeriesData(hall.id, restos.id, "Distribution", weekly(date(2026, 9, 2), 6))
    preview = services.preview_series(data, volunteer, now=NOW)
    over = [c.day for c in preview.conflicts]
    # 6 h each Wednesday: 3 fit in September (18 h), the 4th and 5th would not; 7 October fits.
    assert over == [date(2026, 9, 23), date(2026, 9, 30)]
    assert preview.standings == ["Restos du cœur : 0 h sur 20 h ce mois-ci dans « Hall d'accueil »"]
    with pytest.raises(services.SeriesRefused):
        services.create_series(data, volunteer, now=NOW)
    series = services.create_series(data, volunteer, skip=over, now=NOW)
    assert len(series.bookings) == 4


def test_the_manager_books_a_whole_series_beyond_the_quota_with_a_note(hall, restos, manager):
    make_quota(resource=hall, maximum=20)
    data = services.SeriesData(
        hall.id, restos.id, "Distribution", weekly(date(2026, 9, 2), 5), quota_override_note="Hiver"
    )
    series = services.create_series(data, manager, now=NOW)
    notes = [b.quota_override_note for b in series.bookings]
    assert notes == ["", "", "", "Hiver", "Hiver"]


def test_moving_a_booking_is_held_to_the_quota_of_its_new_month(hall, restos, volunteer):
    make_quota(resource=hall, maximum=6)
    make_booking(hall, restos, at(date(2026, 10, 6), 8), hours=4)
    booking = book(hall, restos, volunteer, at(TUESDAY, 8), at(TUESDAY, 12))
    october = date(2026, 10, 13)
    changes = services.BookingChanges(start=at(october, 8), end=at(october, 12))
    with pytest.raises(services.BookingRefused) as refused:
        services.edit_booking(booking.id, changes, volunteer, now=NOW)
    assert "(octobre 2026)" in str(refused.value)
    # Moving it within its own month frees its own hours first: allowed.
    later = services.BookingChanges(start=at(TUESDAY, 13), end=at(TUESDAY, 19))
    services.edit_booking(booking.id, later, volunteer, now=NOW)


def test_approving_a_request_beyond_a_quota_set_since_needs_a_note(
    app, restos, volunteer, manager, mailbox
):
    kitchen = make_resource(name="Cuisine", requires_approval=True)
    make_booking(kitchen, restos, at(TUESDAY, 8), hours=4)
    request = book(kitchen, restos, volunteer, at(TUESDAY, 13), at(TUESDAY, 17))
    assert request.is_pending
    make_quota(resource=kitchen, maximum=6)
    with pytest.raises(services.BookingRefused) as refused:
        services.approve_booking(request.id, manager, now=NOW)
    assert refused.value.has("quota")
    with app.test_request_context():
        approved = services.approve_booking(request.id, manager, now=NOW, quota_note="Réunion CA")
    assert (approved.status, approved.quota_override_note) == ("confirmed", "Réunion CA")


def test_where_the_association_stands_before_it_books(hall, restos):
    make_quota(resource=hall, maximum=20)
    make_booking(hall, restos, at(TUESDAY, 8), hours=14)
    assert standings(restos, hall, TUESDAY, NOW) == [
        "Restos du cœur : 14 h sur 20 h ce mois-ci dans « Hall d'accueil »"
    ]
    assert standings(make_organisation(kind="partner"), hall, TUESDAY, NOW) == []


def test_a_room_refuses_more_people_than_it_holds(hall, restos, volunteer):
    with pytest.raises(services.BookingRefused) as refused:
        book(hall, restos, volunteer, at(TUESDAY, 8), at(TUESDAY, 9), expected_people=61)
    assert [(r.field, r.message) for r in refused.value.reasons] == [
        ("expected_people", "Hall d'accueil accueille 60 personnes au plus (vous en attendez 61).")
    ]
    booking = book(hall, restos, volunteer, at(TUESDAY, 8), at(TUESDAY, 9), expected_people=60)
    assert db.session.get(Booking, booking.id).expected_people == 60


def test_other_rooms_offered_fit_the_people_expected(hall, restos, volunteer):
    office = make_resource(name="Bureau", capacity=4)
    room = make_resource(name="Salle polyvalente", capacity=40)
    make_resource(name="Tables", kind="equipment", quantity=10)
    make_booking(hall, restos, at(TUESDAY, 8), hours=2)
    _, others = services.suggestions(
        hall, restos, volunteer, at(TUESDAY, 8), at(TUESDAY, 10), now=NOW, expected_people=20
    )
    assert [r.name for r in others] == [room.name]
    _, few = services.suggestions(
        hall, restos, volunteer, at(TUESDAY, 8), at(TUESDAY, 10), now=NOW, expected_people=3
    )
    assert {r.name for r in few} == {office.name, room.name}


def test_a_booking_as_long_as_allowed_begun_last_month_counts_in_this_months_quota(
    restos, volunteer
):
    # The quota's read of what is held starts its index range LONGEST_OCCUPATION before the
    # month: a stay of the longest length allowed, begun 30 days before, is still counted.
    longest = 31 * 24 * 60
    store = make_resource(name="Réserve", max_duration_minutes=longest)
    make_quota(resource=store, maximum=30)  # hours a month
    october = at(date(2026, 10, 1), 0)
    make_booking(store, restos, october - timedelta(days=30), hours=longest / 60)
    # 24 h of October are held already: 6 more hours fit, a 7th would pass the 30.
    book(store, restos, volunteer, at(date(2026, 10, 5), 9), at(date(2026, 10, 5), 15))
    with pytest.raises(services.BookingRefused):
        book(store, restos, volunteer, at(date(2026, 10, 6), 9), at(date(2026, 10, 6), 10))


def test_the_database_sums_each_period_as_the_quota_arithmetic_does(restos):
    """`usages` sums in SQL what `rules.usage` counts in Python, on random bookings across
    month ends, the clock change of 25 October, statuses, resources and an excluded few."""
    rng = random.Random(14)
    shelves = [make_resource(name=f"Étagère {i}", quantity=10) for i in range(3)]
    other = make_organisation(name="Épicerie solidaire")
    group = make_group("deux étagères", shelves[0], shelves[1])
    statuses = ("confirmed", "confirmed", "pending", "cancelled", "rejected")
    first = at(date(2026, 9, 20), 0)
    made = []
    for _ in range(120):
        start = first + timedelta(minutes=15 * rng.randrange(4 * 24 * 100))
        end = start + timedelta(minutes=15 * rng.choice((1, 4, 10, 96, 4 * 24 * 6)))
        made.append(
            Booking(
                resource=rng.choice(shelves),
                organisation=rng.choice((restos, restos, other)),
                title="Stock",
                start=start,
                end=end,
                occupied_until=end,
                quantity=1,
                exclusive=False,
                status=rng.choice(statuses),
            )
        )
    db.session.add_all(made)
    db.session.commit()
    quotas = [
        make_quota(group=group, maximum=100),
        make_quota(resource=shelves[0], period="week", unit="bookings", maximum=5),
        make_quota(
            resource=shelves[2],
            period="season",
            season_start=date(2026, 10, 10),
            season_end=date(2026, 11, 30),
        ),
    ]
    quota_rules = [qs.rules_for(restos, s.id) for s in shelves]
    found = {r.id: r for rs in quota_rules for r in rs}
    assert sorted(found) == sorted(q.id for q in quotas)
    asked = [
        (
            at(date(2026, 9, 28), 0) + timedelta(days=7 * i),
            at(date(2026, 9, 28), 1) + timedelta(days=7 * i),
        )
        for i in range(12)
    ]
    needed = rules.windows_needed(list(found.values()), asked, PARIS)
    assert len(needed) > 15
    exclude = [b.id for b in made[::9]]
    held = [
        rules.Held(b.start, b.end, b.resource_id, b.status)
        for b in made
        if b.organisation_id == restos.id and b.id not in exclude
    ]
    expected = {rules.key_of(r, w): rules.usage(r, w, held) for r, w in needed}
    assert qs.usages(restos.id, needed, exclude) == expected
    assert any(expected.values())


def _organisation_locks(action) -> int:
    """How many statements `action` sends that lock an organisation's row."""
    seen: list[str] = []

    def grab(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", grab)
    try:
        action()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", grab)
    return sum("FROM organisation" in s and "FOR UPDATE" in s for s in seen)


def test_the_organisation_is_locked_only_when_a_quota_applies(hall, restos, volunteer):
    office = make_resource(name="Bureau partagé 2")
    make_quota(resource=hall, maximum=20)
    postgresql = db.engine.dialect.name == "postgresql"
    # No quota on the office: nothing to sum, no lock taken.
    assert (
        _organisation_locks(
            lambda: book(office, restos, volunteer, at(TUESDAY, 9), at(TUESDAY, 10))
        )
        == 0
    )
    # The hall's quota: the association's row is locked before its hours are summed
    # (SQLite's BEGIN IMMEDIATE already serialises the writers).
    locks = _organisation_locks(
        lambda: book(hall, restos, volunteer, at(TUESDAY, 9), at(TUESDAY, 10))
    )
    assert locks == (1 if postgresql else 0)
