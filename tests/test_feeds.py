"""Calendar feeds over HTTP, on both databases: what a subscribed calendar app receives.

The building is the demo "Les 4 Épis" (its series of distributions, permanences and
workshops) plus a week of real life: a booking edited, one cancelled, a series with one
occurrence moved and one cancelled, a request refused, a private family appointment of
another association, a series across the October clock change, and two more appointments
at the social worker's permanence (one of them cancelled). Each feed is read by
icalendar + recurring-ical-events and by vobject; both must give exactly the occurrences,
UTC times, titles and statuses the database holds.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import icalendar
import pytest
import requests
import sqlalchemy as sa
import time_machine
from werkzeug.http import http_date

from pole import demo, permissions
from pole.auth.models import User
from pole.bookings import services as bookings
from pole.bookings.models import LONGEST_BOOKING, Booking
from pole.bookings.recurrence import Recurrence
from pole.db import db, utcnow, write_transaction
from pole.feeds import appointments as feed_appointments
from pole.feeds import bookings as feed_bookings
from pole.feeds import cache as feed_cache
from pole.feeds import ical
from pole.feeds import links as feed_links
from pole.feeds import ratelimit as feed_ratelimit
from pole.feeds import sources as feed_sources
from pole.feeds.feed import current_window
from pole.feeds.models import FeedRateBucket, FeedToken
from pole.organisations.models import Organisation
from pole.permanences import services as permanences
from pole.permanences.models import Appointment, Permanence
from pole.resources.forms import ResourceForm
from pole.resources.models import Resource
from pole.timeutil import local_to_utc, to_local
from tests.factories import (
    PASSWORD,
    make_booking,
    make_organisation,
    make_resource,
    make_user,
    page_text,
)
from tests.test_ical import read_with_icalendar, read_with_icalevents, read_with_vobject

PARIS = ZoneInfo("Europe/Paris")
ICAL_STATUS = {
    "confirmed": "CONFIRMED",
    "pending": "TENTATIVE",
    "cancelled": "CANCELLED",
    "rejected": "CANCELLED",
}
PREFIX = {"pending": "À confirmer : ", "cancelled": "Annulé : ", "rejected": "Annulé : "}
# What only the social worker and the booking association may read: never in a feed.
SECRET_REF, SECRET_NOTE = "ZQX-4471", "Expulsion prévue chez Mme Wolkowicz"
CANCELLED_REF, CANCELLED_NOTE = "QJ-8812", "Dossier surendettement Plumecoq"


@pytest.fixture(autouse=True)
def _fresh_feed_state(app):
    # Built feeds are cached by the version of their rows; the database is emptied between
    # tests, so ids and versions come back with other contents.
    feed_cache.clear_cache()


# The building ---------------------------------------------------------------------------------


def today() -> date:
    return to_local(utcnow(), PARIS).date()


def next_weekday(weekday: int, after: date | None = None) -> date:
    after = after or today()
    return after + timedelta(days=(weekday - after.weekday()) % 7 or 7)


def open_weekday_before(day: date) -> date:
    """The day itself if a weekday, else the Friday before: the office is shut on Sundays."""
    return day - timedelta(days=max(day.weekday() - 4, 0))


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return local_to_utc(day, time(hh, mm), PARIS)


def next_october_change() -> date:
    """The last Sunday of October that a feed's window holds with a week on each side."""
    year = today().year
    for candidate_year in (year, year + 1):
        last = date(candidate_year, 10, 31)
        change = last - timedelta(days=(last.weekday() - 6) % 7)
        if change >= today() - timedelta(days=15):
            return change
    raise AssertionError("unreachable")


def book(room, org, user, start, end, title, now=None, **fields) -> Booking:
    data = bookings.BookingData(room.id, org.id, start, end, title, **fields)
    return bookings.create_booking(data, user, now=now)


@pytest.fixture()
def building(app):
    """The demo building and the week described at the top of this file."""
    return build_building(app)


def build_building(app) -> SimpleNamespace:
    demo.load(PASSWORD)
    users = {u.email.split("@")[0]: u for u in db.session.scalars(sa.select(User))}
    orgs = {o.short_name: o for o in db.session.scalars(sa.select(Organisation))}
    rooms = {r.name: r for r in db.session.scalars(sa.select(Resource))}
    manager, social_worker = users["gestion"], users["as"]
    coordinator, volunteer = users["coordination.restos"], users["benevole"]
    office, hall, kitchen = (
        rooms["Bureau partagé 1"],
        rooms["Hall d'accueil"],
        rooms["Cuisine équipée"],
    )
    restos, ccas, populaire = orgs["Restos"], orgs["CCAS"], orgs["Secours pop."]
    monday = next_weekday(0)
    now = utcnow()

    edited = book(office, restos, coordinator, at(monday, 10), at(monday, 11), "Réunion")
    bookings.edit_booking(
        edited.id,
        bookings.BookingChanges(
            start=at(monday, 10, 30),
            end=at(monday, 12),
            title="Réunion des bénévoles, bilan; hiver",
        ),
        coordinator,
    )
    cancelled = book(office, restos, coordinator, at(monday, 14), at(monday, 15), "Entretien")
    bookings.cancel_booking(cancelled.id, coordinator)

    wednesday = next_weekday(2, monday)
    recurrence = Recurrence(
        wednesday, time(9), time(10), "weekly", weekdays=frozenset({2}), count=4
    )
    series = bookings.create_series(
        bookings.SeriesData(office.id, restos.id, "Permanence accueil", recurrence), volunteer
    )
    first, moved, dropped, last = series.bookings
    moved_day = to_local(moved.start, PARIS).date()
    bookings.edit_booking(
        moved.id,
        bookings.BookingChanges(start=at(moved_day, 11), end=at(moved_day, 12)),
        volunteer,
    )
    bookings.cancel_booking(dropped.id, volunteer)

    thursday = next_weekday(3, monday)
    refused = book(kitchen, restos, volunteer, at(thursday, 14), at(thursday, 16), "Goûter")
    with app.test_request_context():  # the refusal is mailed, with a link to the booking
        bookings.reject_booking(refused.id, manager, "La cuisine est en travaux.")

    family = book(
        hall,
        populaire,
        manager,
        at(monday, 9),
        at(monday, 11),
        "Rendez-vous famille D.",
        description="Dossier 2024-117, M. Dupont",
    )

    # A series across the October change, booked by the social worker for the CCAS.
    change = next_october_change()
    tuesdays = [change - timedelta(days=5), change + timedelta(days=2), change + timedelta(days=9)]
    dst = bookings.create_series(
        bookings.SeriesData(
            office.id,
            ccas.id,
            "Point CCAS",
            Recurrence(tuesdays[0], time(14), time(15), "weekly", count=3),
        ),
        social_worker,
        now=at(tuesdays[0], 8) - timedelta(days=14),
    )

    # Outside what feeds show: cancelled long ago, ended long ago, or too far ahead.
    stale = book(
        office,
        restos,
        coordinator,
        at(monday + timedelta(days=7), 16),
        at(monday + timedelta(days=7), 17),
        "Vieille annulation",
        now=now - timedelta(days=60),
    )
    bookings.cancel_booking(stale.id, coordinator, now=now - timedelta(days=45))
    # The office is closed on Sundays: these days are named weekdays, whatever today is.
    old_day = next_weekday(0, today() - timedelta(days=67))  # a Monday 60 to 66 days ago
    book(
        office,
        restos,
        coordinator,
        at(old_day, 10),
        at(old_day, 11),
        "Il y a deux mois",
        now=now - timedelta(days=90),
    )
    recent_day = next_weekday(1, today() - timedelta(days=17))  # a Tuesday 10 to 16 days ago
    book(
        office,
        restos,
        coordinator,
        at(recent_day, 10),
        at(recent_day, 11),
        "La semaine passée",
        now=now - timedelta(days=20),
    )
    far_day = next_weekday(0, today() + timedelta(days=379))  # a Monday 380 to 386 days ahead
    book(
        office,
        restos,
        coordinator,
        at(far_day, 10),
        at(far_day, 11),
        "Dans plus d'un an",
        now=now + timedelta(days=60),
    )
    # At the demo permanence: Secours populaire books a slot, the Restos book one and cancel it.
    permanence = db.session.scalar(sa.select(Permanence))
    thursday = min(a.day for a in db.session.scalars(sa.select(Appointment)))
    helper = make_user(populaire)
    kept = permanences.book_slot(
        permanence.id,
        at(thursday, 16, 30),
        permanences.AppointmentData(
            populaire.id, "logement", note=SECRET_NOTE, beneficiary_ref=SECRET_REF
        ),
        helper,
    )
    gone = permanences.book_slot(
        permanence.id,
        at(thursday + timedelta(weeks=1), 15),
        permanences.AppointmentData(
            restos.id, "budget", note=CANCELLED_NOTE, beneficiary_ref=CANCELLED_REF
        ),
        coordinator,
    )
    permanences.cancel_appointment(gone.id, coordinator)
    db.session.rollback()
    return SimpleNamespace(
        users=users,
        orgs=orgs,
        rooms=rooms,
        manager=manager,
        social_worker=social_worker,
        coordinator=coordinator,
        volunteer=volunteer,
        restos=restos,
        populaire=populaire,
        hall=hall,
        office=office,
        edited=edited.id,
        cancelled=cancelled.id,
        series=[b.id for b in (first, moved, dropped, last)],
        refused=refused.id,
        family=family.id,
        dst=[b.id for b in dst.bookings],
        change=change,
        stale=stale.id,
        permanence=permanence.id,
        thursday=thursday,
        helper=helper,
        kept=kept.id,
        gone=gone.id,
    )


@pytest.mark.parametrize("days_later", range(7))
def test_the_building_stands_whatever_day_of_the_week_it_is_built(app, days_later):
    """Its rooms close on Sundays, so it books on named weekdays, never on "today - 10"."""
    with time_machine.travel(utcnow() + timedelta(days=days_later), tick=True):
        build_building(app)
    titles = set(db.session.scalars(sa.select(Booking.title)))
    assert {"Il y a deux mois", "La semaine passée", "Dans plus d'un an", "Point CCAS"} <= titles


# What the database says each feed holds --------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    uid: str
    start: datetime
    end: datetime
    summary: str
    status: str
    sequence: int


def shown_in(kind: str, subject_id: int | None, booking: Booking, now: datetime) -> bool:
    """The rules of the issue, written out plainly."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if not (booking.end > day - timedelta(days=30) and booking.start < day + timedelta(days=365)):
        return False
    ended = booking.status in ("cancelled", "rejected")
    if ended and booking.updated_at < day - timedelta(days=30):
        return False
    if kind == "organisation":
        return booking.organisation_id == subject_id
    if kind == "resource":
        return booking.resource_id == subject_id
    if kind in ("personal", "social_worker"):
        author = db.session.get(User, subject_id)
        return booking.created_by_id == subject_id and (
            author.is_manager or author.role_in(booking.organisation_id) is not None
        )
    return booking.is_public and booking.status in ("confirmed", "cancelled")


def summary_of(kind: str, booking: Booking) -> str:
    if kind == "resource" and not booking.is_public:
        label = f"Réservé — {booking.organisation.name}"
    elif kind == "organisation":
        label = booking.title
    else:
        label = f"{booking.title} ({booking.organisation.short_name})"
    return PREFIX.get(booking.status, "") + label


def appointment_shown_in(
    kind: str, subject_id: int | None, appointment: Appointment, now: datetime
) -> bool:
    """Appointments follow the bookings' window; they are in two kinds of feed."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if not (
        appointment.end > day - timedelta(days=30) and appointment.start < day + timedelta(days=365)
    ):
        return False
    cancelled = appointment.status == "cancelled"
    if cancelled and appointment.updated_at < day - timedelta(days=30):
        return False
    if kind == "organisation":
        return appointment.organisation_id == subject_id
    if kind == "social_worker":
        return appointment.permanence.social_worker_id == subject_id
    return False


def appointment_summary_of(kind: str, appointment: Appointment) -> str:
    purpose = appointment.purpose_label
    if kind == "social_worker":
        label = f"Rendez-vous CCAS — {purpose} ({appointment.organisation.name})"
    else:
        label = f"Rendez-vous avec l'assistante sociale — {purpose}"
    return ("Annulé : " if appointment.status == "cancelled" else "") + label


def appointment_uid(kind: str, appointment: Appointment) -> str:
    return feed_appointments.appointment_uid(
        kind, f"appointment-{appointment.id}", appointment.created_at
    )


def expected_appointments(kind: str, subject_id: int | None) -> list[Expected]:
    db.session.rollback()
    now = datetime.now(UTC)
    return sorted(
        (
            Expected(
                appointment_uid(kind, a),
                a.start,
                a.end,
                appointment_summary_of(kind, a),
                "CANCELLED" if a.status == "cancelled" else "CONFIRMED",
                a.sequence,
            )
            for a in db.session.scalars(sa.select(Appointment))
            if appointment_shown_in(kind, subject_id, a, now)
        ),
        key=lambda e: (e.start, e.uid),
    )


def expected(kind: str, subject_id: int | None) -> list[Expected]:
    db.session.rollback()
    now = datetime.now(UTC)
    rows = db.session.scalars(sa.select(Booking)).all()
    booked = [
        Expected(
            feed_bookings.booking_uid(kind, b.id, b.created_at),
            b.start,
            b.end,
            summary_of(kind, b),
            ICAL_STATUS[b.status],
            b.sequence,
        )
        for b in rows
        if shown_in(kind, subject_id, b, now)
    ]
    return sorted(booked + expected_appointments(kind, subject_id), key=lambda e: (e.start, e.uid))


def both_parsers(body: bytes) -> tuple[list[Expected], list[Expected]]:
    """What icalendar and vobject read; icalevents (the clients' reading of TZID times in
    the repeated autumn hour) must read the same as icalendar."""
    window = current_window()
    by_icalendar = read_with_icalendar(body, window.start, window.end)
    assert read_with_icalevents(body, window.start, window.end) == by_icalendar
    readings = (by_icalendar, read_with_vobject(body))
    return tuple(
        [Expected(e.uid, e.start, e.end, e.summary, e.status, e.sequence) for e in reading]
        for reading in readings
    )


def link_for(kind: str, subject_id: int, by: User) -> str:
    return f"/calendrier/{feed_links.issue_link(kind, subject_id, by)}.ics"


def feed_url(building, kind: str) -> str:
    subjects = {
        "organisation": (building.restos.id, building.coordinator),
        "resource": (building.office.id, building.manager),
        "personal": (building.volunteer.id, building.volunteer),
        "social_worker": (building.social_worker.id, building.social_worker),
    }
    if kind == "public":
        return "/agenda.ics"
    subject_id, by = subjects[kind]
    return link_for(kind, subject_id, by)


FEEDS = ["organisation", "resource", "personal", "social_worker", "public"]


@pytest.mark.parametrize("kind", FEEDS)
def test_each_feed_holds_exactly_what_the_database_holds(client, building, kind):
    url = feed_url(building, kind)
    response = client.get(url)
    assert response.status_code == 200
    subject = {
        "organisation": building.restos.id,
        "resource": building.office.id,
        "personal": building.volunteer.id,
        "social_worker": building.social_worker.id,
        "public": None,
    }[kind]
    want = expected(kind, subject)
    assert len(want) >= 3
    by_icalendar, by_vobject = both_parsers(response.data)
    assert by_icalendar == want
    assert by_vobject == want


def test_the_association_feed_shows_the_weeks_changes(client, building):
    body = client.get(feed_url(building, "organisation")).data
    events = {e.uid: e for e in read_with_vobject(body)}

    def event(booking_id: int):
        booking = db.session.get(Booking, booking_id)
        return events.get(feed_bookings.booking_uid("organisation", booking_id, booking.created_at))

    edited = event(building.edited)
    assert edited.summary == "Réunion des bénévoles, bilan; hiver"
    assert to_local(edited.start, PARIS).time() == time(10, 30)
    assert edited.sequence == 1
    assert event(building.cancelled).status == "CANCELLED"
    assert event(building.cancelled).summary == "Annulé : Entretien"
    first, moved, dropped, last = (event(i) for i in building.series)
    assert [to_local(e.start, PARIS).time() for e in (first, moved, last)] == [
        time(9),
        time(11),
        time(9),
    ]
    assert (first.status, moved.status, dropped.status, last.status) == (
        "CONFIRMED",
        "CONFIRMED",
        "CANCELLED",
        "CONFIRMED",
    )
    assert event(building.refused).summary == "Annulé : Goûter"
    assert event(building.stale) is None  # cancelled more than 30 days ago
    titles = {e.summary for e in events.values()}
    assert "Il y a deux mois" not in titles
    assert "Dans plus d'un an" not in titles
    assert "La semaine passée" in titles
    assert "À confirmer : Atelier cuisine" in titles  # the demo's kitchen request


def test_a_weekly_series_keeps_its_wall_clock_across_the_october_change(client, building):
    body = client.get(feed_url(building, "social_worker")).data
    uids = {
        feed_bookings.booking_uid("social_worker", i, db.session.get(Booking, i).created_at): i
        for i in building.dst
    }
    for read in (read_with_icalendar(body), read_with_vobject(body)):
        series = [e for e in read if e.uid in uids]
        assert [to_local(e.start, PARIS).time() for e in series] == [time(14)] * 3
        offsets = [e.start.hour for e in series]  # UTC: summer, then winter
        assert offsets == [12, 13, 13]
    before = building.change - timedelta(days=5)
    assert f"DTSTART;TZID=Europe/Paris:{before:%Y%m%d}T140000" in body.decode()


# Privacy --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["resource", "social_worker", "public", "personal"])
def test_no_feed_outside_the_association_tells_its_private_titles_or_who_was_received(
    client, building, kind
):
    hall_url = link_for("resource", building.hall.id, building.manager)
    url = hall_url if kind == "resource" else feed_url(building, kind)
    text = unfold(client.get(url).data)
    assert "Dupont" not in text
    assert "2024-117" not in text
    assert "famille D." not in text
    if kind == "resource":
        assert "SUMMARY:Réservé — Secours populaire" in text
        # The Restos' private distributions are "Réservé" on the hall's door too.
        assert "SUMMARY:Réservé — Restos du cœur" in text
        assert "Distribution alimentaire" not in text
        # Public bookings keep their titles.
        assert "SUMMARY:Accueil de l'épicerie solidaire (Épicerie)" in text


def test_the_association_reads_its_own_private_booking_in_full(client, building):
    url = link_for("organisation", building.populaire.id, building.manager)
    text = unfold(client.get(url).data)
    assert "SUMMARY:Rendez-vous famille D." in text
    assert "Dossier 2024-117\\, M. Dupont" in text


def unfold(body: bytes) -> str:
    return body.decode().replace("\r\n ", "")


# Permanence appointments ----------------------------------------------------------------------


def take_slot(building, user: User, short_name: str, weeks: int, hh: int, mm: int = 0):
    """Book a slot of the demo permanence, `weeks` after its first booked Thursday."""
    organisation = building.orgs[short_name]
    return permanences.book_slot(
        building.permanence,
        at(building.thursday + timedelta(weeks=weeks), hh, mm),
        permanences.AppointmentData(organisation.id, "sante"),
        user,
    )


def appointments_of(organisation_id: int | None = None) -> list[Appointment]:
    db.session.rollback()
    query = sa.select(Appointment).order_by(Appointment.id)
    if organisation_id is not None:
        query = query.where(Appointment.organisation_id == organisation_id)
    return list(db.session.scalars(query))


def events_by_uid(body: bytes) -> dict[str, list]:
    """Each UID with what icalendar and vobject read of it (icalevents must agree)."""
    found: dict[str, list] = {}
    by_icalendar = read_with_icalendar(body)
    assert read_with_icalevents(body) == by_icalendar
    for reading in (by_icalendar, read_with_vobject(body)):
        for event in reading:
            found.setdefault(event.uid, []).append(event)
    return found


def test_the_social_worker_feed_holds_every_appointment_of_her_permanence(client, building):
    body = client.get(feed_url(building, "social_worker")).data
    want = expected_appointments("social_worker", building.social_worker.id)
    assert len(want) == len(appointments_of()) == 7  # the demo's five, one kept, one cancelled
    assert {e.status for e in want} == {"CONFIRMED", "CANCELLED"}
    uids = {e.uid for e in want}
    for reading in both_parsers(body):
        assert [e for e in reading if e.uid in uids] == want


@pytest.mark.parametrize("short_name", ["Restos", "Secours pop.", "Épicerie", "Secours cath."])
def test_an_association_feed_holds_the_appointments_it_booked_and_no_others(
    client, building, short_name
):
    organisation = building.orgs[short_name]
    body = client.get(link_for("organisation", organisation.id, building.manager)).data
    by_icalendar, by_vobject = both_parsers(body)
    want = expected("organisation", organisation.id)
    assert by_icalendar == want
    assert by_vobject == want
    ours = expected_appointments("organisation", organisation.id)
    assert len(ours) == len(appointments_of(organisation.id))
    others = {
        appointment_uid("organisation", a)
        for a in appointments_of()
        if a.organisation_id != organisation.id
    }
    assert others
    assert not others & {e.uid for e in by_icalendar + by_vobject}


def test_an_appointment_tells_its_purpose_association_and_place(client, building):
    kept = db.session.get(Appointment, building.kept)
    worker = events_by_uid(client.get(feed_url(building, "social_worker")).data)
    ours = link_for("organisation", building.populaire.id, building.manager)
    association = events_by_uid(client.get(ours).data)
    place = "Bureau partagé 1 — Pôle des solidarités Les 4 Épis, Andrézieux-Bouthéon (Loire)"
    for event in worker[appointment_uid("social_worker", kept)]:
        assert event.summary == "Rendez-vous CCAS — Logement (Secours populaire)"
        assert event.description == (
            "Secours populaire\nPermanence de l'assistante sociale\nObjet : Logement"
        )
        assert (event.start, event.end, event.location, event.status) == (
            at(building.thursday, 16, 30),
            at(building.thursday, 17),
            place,
            "CONFIRMED",
        )
    for event in association[appointment_uid("organisation", kept)]:
        assert event.summary == "Rendez-vous avec l'assistante sociale — Logement"
        assert (event.start, event.location) == (at(building.thursday, 16, 30), place)
    summaries = {e.summary for read in worker.values() for e in read}
    assert "Rendez-vous CCAS — Logement (Restos du cœur)" in summaries  # the demo's first


def test_a_cancelled_appointment_is_announced_for_thirty_days_then_leaves(client, building):
    gone = db.session.get(Appointment, building.gone)
    urls = {"social_worker": feed_url(building, "social_worker")}
    urls["organisation"] = feed_url(building, "organisation")  # the Restos, who cancelled
    for kind, url in urls.items():
        (read_one, read_other) = events_by_uid(client.get(url).data)[appointment_uid(kind, gone)]
        assert read_one == read_other
        assert (read_one.status, read_one.sequence) == ("CANCELLED", 1)
        assert read_one.summary.startswith("Annulé : Rendez-vous ")
        assert read_one.description.endswith("Statut : Annulé")
    db.session.execute(
        sa.update(Appointment)
        .where(Appointment.id == gone.id)
        .values(updated_at=utcnow() - timedelta(days=31))
    )
    db.session.commit()
    for kind, url in urls.items():
        assert appointment_uid(kind, gone) not in events_by_uid(client.get(url).data)


def test_no_feed_tells_who_is_received_nor_the_note(client, building):
    rows = appointments_of()
    secrets_ = {a.beneficiary_ref for a in rows} | {a.note for a in rows}
    assert {SECRET_REF, SECRET_NOTE, CANCELLED_REF, CANCELLED_NOTE} <= secrets_
    secrets_ |= {"Wolkowicz", "Plumecoq"}
    secrets_.discard("")
    urls = [
        feed_url(building, "social_worker"),
        feed_url(building, "public"),
        link_for("resource", building.office.id, building.manager),
        link_for("personal", building.coordinator.id, building.coordinator),
        link_for("personal", building.helper.id, building.helper),
        *(link_for("organisation", o.id, building.manager) for o in building.orgs.values()),
    ]
    for url in urls:
        body = client.get(url).data
        text = unfold(body)
        read = [e for reading in events_by_uid(body).values() for e in reading]
        fields = " ".join(f"{e.summary} {e.description} {e.location}" for e in read)
        assert not [s for s in secrets_ if s in text or s in fields], url


@pytest.mark.parametrize("kind", ["social_worker", "organisation"])
def test_booking_an_appointment_changes_the_etag_and_an_unchanged_feed_answers_304(
    client, building, kind
):
    url = feed_url(building, kind)
    first = client.get(url)
    etag = first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    new = take_slot(building, building.coordinator, "Restos", weeks=1, hh=14, mm=30)
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert appointment_uid(kind, new) in events_by_uid(changed.data)
    again = client.get(url, headers={"If-None-Match": changed.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("kind", ["social_worker", "organisation"])
def test_a_rebuilt_feed_is_byte_identical_while_its_appointments_are_unchanged(
    client, building, kind
):
    url = feed_url(building, kind)
    first = client.get(url)
    feed_cache.clear_cache()  # built again from the rows, not answered from memory
    again = client.get(url)
    assert again.data == first.data
    assert again.headers["ETag"] == first.headers["ETag"]
    gone = db.session.get(Appointment, building.gone)
    calendar = icalendar.Calendar.from_ical(first.data)
    (event,) = [e for e in calendar.walk("VEVENT") if e["UID"] == appointment_uid(kind, gone)]
    stamp = gone.updated_at.replace(microsecond=0)
    assert event.decoded("DTSTAMP") == event.decoded("LAST-MODIFIED") == stamp
    assert event.decoded("CREATED") == gone.created_at.replace(microsecond=0)


def test_appointment_uids_are_stable_and_never_a_bookings(client, building):
    urls = {"social_worker": feed_url(building, "social_worker")}
    urls["organisation"] = feed_url(building, "organisation")
    before = {kind: events_by_uid(client.get(url).data) for kind, url in urls.items()}
    booking_uids = {
        feed_bookings.booking_uid(kind, b.id, b.created_at)
        for b in db.session.scalars(sa.select(Booking))
        for kind in urls
    }
    restos = appointments_of(building.restos.id)
    appointment_uids = {kind: {appointment_uid(kind, a) for a in restos} for kind in urls}
    assert not appointment_uids["social_worker"] & appointment_uids["organisation"]
    for kind in urls:
        assert appointment_uids[kind] <= set(before[kind])
        assert not appointment_uids[kind] & booking_uids

    demo = next(a for a in restos if a.status == "booked")
    later = utcnow() + timedelta(seconds=2)
    permanences.cancel_appointment(demo.id, building.coordinator, now=later)
    for kind, url in urls.items():
        after = events_by_uid(client.get(url).data)
        assert set(after) == set(before[kind])
        for old, new in zip(
            before[kind][appointment_uid(kind, demo)],
            after[appointment_uid(kind, demo)],
            strict=True,
        ):
            assert (new.sequence, new.status) == (old.sequence + 1, "CANCELLED")
            assert new.last_modified > old.last_modified
            assert new.start == old.start


def test_seen_or_absent_is_for_the_social_worker_not_the_association(client, building):
    kept = db.session.get(Appointment, building.kept)
    worker_url = feed_url(building, "social_worker")
    association_url = link_for("organisation", building.populaire.id, building.manager)
    worker_etag = client.get(worker_url).headers["ETag"]
    permanences.mark_appointment(kept.id, "seen", building.social_worker)
    worker = client.get(worker_url, headers={"If-None-Match": worker_etag})
    assert worker.status_code == 200
    for event in events_by_uid(worker.data)[appointment_uid("social_worker", kept)]:
        assert (event.status, event.sequence) == ("CONFIRMED", 1)
        assert event.description.endswith("Statut : Reçu")
    association = client.get(association_url).data
    for event in events_by_uid(association)[appointment_uid("organisation", kept)]:
        assert event.status == "CONFIRMED"
        assert "Reçu" not in event.description


def test_the_social_worker_feed_takes_the_same_few_queries_however_many_appointments(
    client, building
):
    url = feed_url(building, "social_worker")
    few = selects_of_a_cold_fetch(client, url)
    take_slot(building, building.coordinator, "Restos", weeks=1, hh=14, mm=30)
    take_slot(building, building.volunteer, "Épicerie", weeks=0, hh=15)
    take_slot(building, building.volunteer, "Épicerie", weeks=1, hh=15, mm=30)
    # the link, then a version and the events of each source: bookings and appointments
    assert selects_of_a_cold_fetch(client, url) == few <= 5


# Stability ------------------------------------------------------------------------------------


def uids_and_stamps(body: bytes) -> dict[str, tuple[int, datetime, datetime]]:
    return {e.uid: (e.sequence, e.last_modified, e.start) for e in read_with_icalendar(body)}


def test_uids_stay_the_same_across_fetches_and_an_edit(client, building):
    url = feed_url(building, "organisation")
    first = uids_and_stamps(client.get(url).data)
    assert client.get(url).data == client.get(url).data
    booking = db.session.get(Booking, building.series[0])
    day = to_local(booking.start, PARIS).date()
    bookings.edit_booking(
        booking.id,
        bookings.BookingChanges(start=at(day, 15), end=at(day, 16), title="Accueil déplacé"),
        building.volunteer,
    )
    after = uids_and_stamps(client.get(url).data)
    assert set(after) == set(first)
    uid = feed_bookings.booking_uid("organisation", booking.id, booking.created_at)
    assert after[uid][2] == at(day, 15)


def test_an_edit_raises_sequence_and_last_modified(client, building):
    url = feed_url(building, "organisation")
    booking = db.session.get(Booking, building.edited)
    uid = feed_bookings.booking_uid("organisation", booking.id, booking.created_at)
    sequence, modified, _ = uids_and_stamps(client.get(url).data)[uid]
    later = utcnow() + timedelta(seconds=2)
    bookings.edit_booking(
        booking.id,
        bookings.BookingChanges(title="Réunion de rentrée"),
        building.coordinator,
        now=later,
    )
    new_sequence, new_modified, _ = uids_and_stamps(client.get(url).data)[uid]
    assert new_sequence == sequence + 1
    assert new_modified > modified


def test_a_unique_uid_per_booking_and_per_kind_of_feed(client, building):
    organisation = read_with_icalendar(client.get(feed_url(building, "organisation")).data)
    resource = read_with_icalendar(client.get(feed_url(building, "resource")).data)
    assert len({e.uid for e in organisation}) == len(organisation)
    assert not {e.uid for e in organisation} & {e.uid for e in resource}


# HTTP -----------------------------------------------------------------------------------------


@pytest.fixture()
def room_feed(app):
    """A small building: one room, one association, a coordinator, a link to the room."""
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    coordinator = make_user(restos, role="coordinator")
    manager = make_user(is_manager=True)
    room = make_resource(name="Salle polyvalente")
    start = at(today() + timedelta(days=2), 10)
    booking = make_booking(
        room, restos, start, title="Distribution", created_by=coordinator, is_public=True
    )
    return SimpleNamespace(
        restos=restos,
        coordinator=coordinator,
        manager=manager,
        room=room,
        booking=booking,
        url=link_for("resource", room.id, manager),
    )


def test_a_feed_is_text_calendar_private_and_unreferred(client, room_feed):
    response = client.get(room_feed.url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, max-age=300"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Set-Cookie" not in response.headers
    assert re.fullmatch(r'"[0-9a-f]{40}"', response.headers["ETag"])  # strong: no W/
    assert response.last_modified is not None


def test_an_unchanged_feed_keeps_its_etag_and_answers_304(client, room_feed):
    first = client.get(room_feed.url)
    again = client.get(room_feed.url)
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.data == first.data
    cached = client.get(room_feed.url, headers={"If-None-Match": first.headers["ETag"]})
    assert cached.status_code == 304
    assert cached.data == b""
    assert cached.headers["ETag"] == first.headers["ETag"]
    assert cached.headers["Cache-Control"] == "private, max-age=300"


def test_a_changed_feed_gets_a_new_etag_and_a_full_answer(client, room_feed):
    first = client.get(room_feed.url)
    bookings.cancel_booking(room_feed.booking.id, room_feed.coordinator)
    changed = client.get(room_feed.url, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != first.headers["ETag"]
    assert b"STATUS:CANCELLED" in changed.data


def test_if_modified_since_answers_304_until_something_changes(client, room_feed):
    first = client.get(room_feed.url)
    since = first.headers["Last-Modified"]
    assert client.get(room_feed.url, headers={"If-Modified-Since": since}).status_code == 304
    later = utcnow() + timedelta(seconds=2)
    bookings.cancel_booking(room_feed.booking.id, room_feed.coordinator, now=later)
    changed = client.get(room_feed.url, headers={"If-Modified-Since": since})
    assert changed.status_code == 200
    assert changed.headers["Last-Modified"] == http_date(later.replace(microsecond=0))


def test_a_booking_moved_out_of_the_window_still_changes_last_modified(client, room_feed):
    first = client.get(room_feed.url)
    later = utcnow() + timedelta(seconds=2)
    far = at(today() + timedelta(days=400), 10)
    bookings.edit_booking(
        room_feed.booking.id,
        bookings.BookingChanges(start=far, end=far + timedelta(hours=1)),
        room_feed.coordinator,
        now=later + timedelta(days=100),
    )
    db.session.execute(
        sa.update(Booking).where(Booking.id == room_feed.booking.id).values(updated_at=later)
    )
    db.session.commit()
    response = client.get(
        room_feed.url, headers={"If-Modified-Since": first.headers["Last-Modified"]}
    )
    assert response.status_code == 200
    assert b"BEGIN:VEVENT" not in response.data


@pytest.mark.parametrize(
    "mangle",
    [
        lambda url: url.replace(".ics", "x.ics"),
        lambda url: url.replace("/calendrier/", "/calendrier/x"),
        lambda url: url.split(".")[0] + ".ics",
        lambda url: "/calendrier/inconnu.ics",
    ],
    ids=["wrong-secret", "wrong-selector", "selector-alone", "garbage"],
)
def test_a_wrong_link_gets_404(client, room_feed, mangle):
    assert client.get(mangle(room_feed.url)).status_code == 404


def test_a_revoked_link_gets_404_and_a_regenerated_one_works(client, room_feed):
    assert client.get(room_feed.url).status_code == 200
    feed_links.revoke_link("resource", room_feed.room.id)
    assert client.get(room_feed.url).status_code == 404
    fresh = link_for("resource", room_feed.room.id, room_feed.manager)
    assert client.get(fresh).status_code == 200
    regenerated = link_for("resource", room_feed.room.id, room_feed.manager)
    assert client.get(fresh).status_code == 404
    assert client.get(regenerated).status_code == 200


def test_links_are_stored_only_as_hashes(app, room_feed):
    token = room_feed.url.removeprefix("/calendrier/").removesuffix(".ics")
    selector, verifier = token.split(".")
    assert len(verifier) >= 32  # 24 random bytes, 192 bits
    row = db.session.scalar(sa.select(FeedToken).where(FeedToken.selector == selector))
    stored = " ".join(str(v) for v in row.__dict__.values())
    assert verifier not in stored
    assert row.verifier_hash == feed_links._hash(verifier)


def test_a_link_asking_too_often_gets_429_and_others_do_not(app, client, room_feed, monkeypatch):
    monkeypatch.setitem(app.config, "POLE_FEED_RATE_LIMIT", "3/600")
    other = link_for("organisation", room_feed.restos.id, room_feed.coordinator)
    assert [client.get(room_feed.url).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get(room_feed.url)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 200
    assert client.get(other).status_code == 200


RENAMES = {
    "room": (lambda f: f.room, "name", "Grande salle Jean-Moulin"),
    "organisation": (lambda f: f.restos, "name", "Les Restaurants du cœur"),
    "short name": (lambda f: f.restos, "short_name", "RDC42"),
    "site": (lambda f: f.room.site, "name", "Maison des solidarités"),
    "address": (lambda f: f.room.site, "address", "12 rue Émile-Zola"),
}


@pytest.mark.parametrize("what", RENAMES)
def test_a_renamed_room_organisation_or_site_is_in_the_next_fetch(client, room_feed, what):
    # The built feed stays in this process's cache: only the database says it is stale.
    first = client.get(room_feed.url)
    row_of, column, value = RENAMES[what]
    with write_transaction():
        setattr(row_of(room_feed), column, value)
    fresh = client.get(room_feed.url, headers={"If-None-Match": first.headers["ETag"]})
    assert fresh.status_code == 200
    assert value in fresh.get_data(as_text=True).replace("\r\n ", "")
    again = client.get(room_feed.url, headers={"If-None-Match": fresh.headers["ETag"]})
    assert again.status_code == 304


def test_a_timezone_change_rewrites_the_feed_at_once(client, room_feed):
    first = client.get(room_feed.url)
    with write_transaction():
        room_feed.room.site.timezone = "America/Cayenne"
    fresh = client.get(room_feed.url, headers={"If-None-Match": first.headers["ETag"]})
    assert fresh.status_code == 200
    assert b"TZID=America/Cayenne" in fresh.data


def test_a_change_no_feed_shows_keeps_the_304(client, room_feed):
    first = client.get(room_feed.url)
    with write_transaction():
        room_feed.room.description = "Au rez-de-chaussée, à gauche de l'accueil."
        room_feed.restos.colour = "#123456"
    same = client.get(room_feed.url, headers={"If-None-Match": first.headers["ETag"]})
    assert same.status_code == 304


def test_a_rename_rolled_back_changes_nothing(client, room_feed):
    first = client.get(room_feed.url)
    with pytest.raises(RuntimeError), write_transaction():
        room_feed.room.name = "Jamais"
        db.session.flush()
        raise RuntimeError("refused")
    same = client.get(room_feed.url, headers={"If-None-Match": first.headers["ETag"]})
    assert same.status_code == 304


def test_the_rate_limit_refills_with_time(app):
    take = feed_ratelimit.take
    assert [take("a", 2, 60, now=0.0) for _ in range(2)] == [0.0, 0.0]
    assert take("a", 2, 60, now=0.0) == pytest.approx(30.0)
    assert take("a", 2, 60, now=15.0) == pytest.approx(15.0)  # half a token back: not enough
    assert take("a", 2, 60, now=30.0) == 0.0
    assert take("b", 2, 60, now=30.0) == 0.0
    assert take("a", 2, 60, now=10_000.0) == 0.0  # refilled to its capacity, no more
    assert take("a", 2, 60, now=10_000.0) == 0.0
    assert take("a", 2, 60, now=10_000.0) == pytest.approx(30.0)


def test_the_rate_limit_is_counted_in_the_database(app, client, room_feed, monkeypatch):
    monkeypatch.setitem(app.config, "POLE_FEED_RATE_LIMIT", "2/600")
    assert [client.get(room_feed.url).status_code for _ in range(2)] == [200, 200]
    assert client.get(room_feed.url).status_code == 429
    # The link's one bucket, where every process and server reads and takes its tokens.
    selector = room_feed.url.removeprefix("/calendrier/").split(".")[0]
    (bucket,) = db.session.scalars(sa.select(FeedRateBucket)).all()
    assert bucket.selector == selector
    assert not bucket.granted and 0 <= bucket.tokens < 1


def test_the_feed_window_and_cancellations_follow_the_configuration(
    app, client, room_feed, monkeypatch
):
    assert b"SUMMARY:Distribution" in client.get(room_feed.url).data
    monkeypatch.setitem(app.config, "POLE_FEED_FUTURE_DAYS", 1)
    feed_cache.clear_cache()
    assert b"BEGIN:VEVENT" not in client.get(room_feed.url).data
    monkeypatch.setitem(app.config, "POLE_FEED_FUTURE_DAYS", 365)
    bookings.cancel_booking(room_feed.booking.id, room_feed.coordinator)
    assert b"STATUS:CANCELLED" in client.get(room_feed.url).data
    monkeypatch.setitem(app.config, "POLE_FEED_CANCELLED_DAYS", -1)
    assert b"BEGIN:VEVENT" not in client.get(room_feed.url).data


def test_the_longest_booking_allowed_still_running_when_the_window_opens_is_in_the_feed(
    client, room_feed
):
    # The feed's query reads bookings that start at most LONGEST_BOOKING before its window.
    opens = current_window().start
    start = opens - LONGEST_BOOKING + timedelta(hours=1)
    make_booking(
        room_feed.room,
        room_feed.restos,
        start,
        end=start + LONGEST_BOOKING,
        title="Exposition",
        is_public=True,
    )
    body = client.get(room_feed.url).get_data(as_text=True)
    assert "SUMMARY:Exposition (Restos)" in body


def test_no_room_may_allow_a_booking_longer_than_the_feeds_expect():
    (bounds,) = [
        v for v in ResourceForm.max_duration_minutes.kwargs["validators"] if hasattr(v, "max")
    ]
    assert timedelta(minutes=bounds.max) <= LONGEST_BOOKING


def selects_of_a_cold_fetch(client, url: str) -> int:
    """How many SELECTs building the feed takes, with nothing cached."""
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # noqa: ANN001, ANN002
        statements.append(statement)

    feed_cache.clear_cache()
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])


def test_loading_a_feed_takes_the_same_few_queries_however_many_bookings(app, client, room_feed):
    few = selects_of_a_cold_fetch(client, room_feed.url)
    for n in range(30):
        start = at(today() + timedelta(days=3 + n), 9)
        make_booking(room_feed.room, room_feed.restos, start, title=f"Atelier {n}")
    # the link, the version, the events
    assert selects_of_a_cold_fetch(client, room_feed.url) == few <= 3


# The public agenda and one booking ------------------------------------------------------------


def test_the_public_agenda_needs_no_link_and_shows_only_public_bookings(client, room_feed):
    private = make_booking(
        room_feed.room, room_feed.restos, at(today() + timedelta(days=3), 10), title="Privé"
    )
    response = client.get("/agenda.ics")
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    text = unfold(response.data)
    assert "SUMMARY:Distribution (Restos)" in text
    assert "Privé" not in text
    assert private.title not in text


def test_a_member_downloads_one_booking_to_add_to_their_calendar(client, login_as, room_feed):
    private = make_booking(
        room_feed.room, room_feed.restos, at(today() + timedelta(days=3), 10), title="Réunion"
    )
    login_as(room_feed.coordinator)
    response = client.get(f"/reservations/{private.id}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    (event,) = read_with_vobject(response.data)
    assert (event.summary, event.start) == ("Réunion (Restos)", private.start)
    assert event.status == "CONFIRMED"


@pytest.mark.parametrize("who", ["visitor", "other-association"])
def test_someone_who_may_not_read_a_booking_cannot_download_it(client, login_as, room_feed, who):
    private = make_booking(
        room_feed.room, room_feed.restos, at(today() + timedelta(days=3), 10), title="Réunion"
    )
    if who == "other-association":
        login_as(make_user(make_organisation(name="Secours populaire")))
    assert client.get(f"/reservations/{private.id}.ics").status_code == 404
    public = client.get(f"/reservations/{room_feed.booking.id}.ics")
    assert public.status_code == 200


# "Mes agendas" --------------------------------------------------------------------------------


def test_a_coordinator_creates_the_association_link_and_sees_it_once(client, login_as, room_feed):
    login_as(room_feed.coordinator)
    page = client.get("/agendas")
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    assert "Pas encore de lien pour cet agenda." in page_text(page)
    created = client.post(f"/agendas/organisation/{room_feed.restos.id}/lien")
    text = page_text(created)
    assert "Copiez ce lien maintenant" in text
    https = re.search(r'value="(http://localhost/calendrier/[^"]+\.ics)"', text).group(1)
    assert f'href="webcal://{https.removeprefix("http://")}"' in text
    assert client.get(https.removeprefix("http://localhost")).status_code == 200

    later = page_text(client.get("/agendas"))
    assert https not in later
    assert https.rsplit("/", 1)[1].split(".")[1] not in later  # the secret never again
    assert "Un lien secret existe depuis le" in later
    for client_name in ("Google Agenda", "Outlook", "Apple Calendrier", "Thunderbird", "ICSx⁵"):
        assert client_name in later
    assert "24 heures" in later


def test_regenerating_replaces_the_link_and_revoking_ends_it(client, login_as, room_feed):
    login_as(room_feed.coordinator)
    base = f"/agendas/organisation/{room_feed.restos.id}"
    first = re.search(r"/calendrier/[^\"]+\.ics", page_text(client.post(f"{base}/lien"))).group(0)
    second = re.search(r"/calendrier/[^\"]+\.ics", page_text(client.post(f"{base}/lien"))).group(0)
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    assert "Pas encore de lien" in page_text(client.post(f"{base}/revoquer"))
    assert client.get(second).status_code == 404


def test_htmx_gets_only_the_list_of_feeds_back(client, login_as, room_feed):
    login_as(room_feed.coordinator)
    response = client.post(
        f"/agendas/organisation/{room_feed.restos.id}/lien", headers={"HX-Request": "true"}
    )
    text = page_text(response)
    assert text.lstrip().startswith('<div id="feed-list">')
    assert "Copiez ce lien maintenant" in text
    assert "<html" not in text


def test_a_volunteer_gets_her_own_association_link_but_cannot_make_the_shared_one(
    client, login_as, room_feed
):
    volunteer = make_user(room_feed.restos)
    login_as(volunteer)
    text = page_text(client.get("/agendas"))
    assert "Restos du cœur" in text
    assert "Obtenir mon lien" in text  # her own link: see tests/test_feeds_members.py
    assert client.post(f"/agendas/organisation/{room_feed.restos.id}/lien").status_code == 403
    assert client.post(f"/agendas/resource/{room_feed.room.id}/lien").status_code == 403
    assert client.post(f"/agendas/personal/{room_feed.coordinator.id}/lien").status_code == 403
    assert client.post(f"/agendas/personal/{volunteer.id}/lien").status_code == 200
    assert client.post("/agendas/organisation/999999/lien").status_code == 404
    assert client.post(f"/agendas/inconnu/{volunteer.id}/lien").status_code == 404


def test_making_a_link_needs_the_csrf_token(client, login_as, room_feed):
    login_as(room_feed.coordinator)
    refused = client.post(f"/agendas/organisation/{room_feed.restos.id}/lien", csrf=False)
    assert refused.status_code == 400
    assert not feed_links.active_tokens("organisation", [room_feed.restos.id])


def test_the_page_needs_a_login(client):
    response = client.get("/agendas")
    assert response.status_code in (302, 401)


def test_a_personal_link_dies_with_the_account_and_a_social_worker_link_with_the_role(
    client, room_feed
):
    worker = make_user(room_feed.restos, is_social_worker=True)
    personal = link_for("personal", worker.id, worker)
    social = link_for("social_worker", worker.id, worker)
    assert client.get(personal).status_code == 200
    assert client.get(social).status_code == 200
    worker.is_social_worker = False
    db.session.commit()
    assert client.get(social).status_code == 404
    worker.is_active = False
    db.session.commit()
    assert client.get(personal).status_code == 404


PEOPLE = {
    "volunteer": lambda org: make_user(org),
    "coordinator": lambda org: make_user(org, role="coordinator"),
    "other-coordinator": lambda org: make_user(make_organisation(), role="coordinator"),
    "manager": lambda org: make_user(is_manager=True),
    "social-worker": lambda org: make_user(is_social_worker=True),
}


@pytest.mark.parametrize(
    "who, uses, manages, manages_rooms",
    [
        ("volunteer", True, False, False),
        ("coordinator", True, True, False),
        ("other-coordinator", False, False, False),
        ("manager", True, True, True),
        ("social-worker", False, False, False),
    ],
)
def test_who_may_use_and_manage_which_feed(app, who, uses, manages, manages_rooms):
    org = make_organisation()
    person = PEOPLE[who](org)
    room = make_resource()
    assert permissions.can_use_organisation_feed(person, org) is uses
    assert permissions.can_manage_organisation_feed(person, org) is manages
    assert permissions.can_manage_resource_feed(person, room) is manages_rooms
    assert permissions.can_manage_personal_feed(person, person)
    assert permissions.can_manage_social_worker_feed(person, person) is (who == "social-worker")


# Extension point ------------------------------------------------------------------------------


def test_a_new_event_source_joins_a_feed_without_touching_the_writer(
    client, room_feed, monkeypatch
):
    worker = make_user(room_feed.restos, is_social_worker=True)
    start = at(today() + timedelta(days=4), 10, 30)

    def appointments(feed, window, link):  # noqa: ANN001
        return [
            ical.Event(
                uid="rdv-1",
                start=start,
                end=start + timedelta(minutes=30),
                tz=PARIS,
                summary="Rendez-vous : aide au dossier CAF (Restos)",
                status="CONFIRMED",
                sequence=0,
                last_modified=start - timedelta(days=1),
            )
        ]

    source = feed_sources.EventSource(
        "appointments", appointments, lambda feed, window: ((1,), None)
    )
    sources = {
        **feed_sources.EVENT_SOURCES,
        "social_worker": (*feed_sources.EVENT_SOURCES["social_worker"], source),
    }
    monkeypatch.setattr(feed_sources, "EVENT_SOURCES", sources)
    body = client.get(link_for("social_worker", worker.id, worker)).data
    (event,) = read_with_icalendar(body)
    assert (event.uid, event.summary, event.start) == (
        "rdv-1",
        "Rendez-vous : aide au dossier CAF (Restos)",
        start,
    )


# Logs -----------------------------------------------------------------------------------------


def test_feed_links_never_reach_the_logs_of_the_server(app, room_feed, live_server, caplog):
    token = room_feed.url.removeprefix("/calendrier/").removesuffix(".ics")
    caplog.set_level(logging.INFO)
    assert requests.get(live_server + room_feed.url, timeout=10).status_code == 200
    assert requests.get(live_server + "/calendrier/x.y.ics", timeout=10).status_code == 404
    pasted_without_ics = live_server + room_feed.url.removesuffix(".ics")
    assert requests.get(pasted_without_ics, timeout=10).status_code == 404
    # Records as gunicorn's access log and Flask's error log write them.
    logging.getLogger("gunicorn.access").info(
        '%(h)s "%(r)s" %(s)s', {"h": "10.0.0.1", "r": f"GET {room_feed.url} HTTP/1.1", "s": "200"}
    )
    app.logger.error("Exception on %s [GET]", room_feed.url)
    messages = [r.getMessage() for r in caplog.records]
    served = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("/calendrier/***" in m for m in served)
    assert sum("/calendrier/***" in m for m in messages) >= 5
    assert not [m for m in messages if token in m or token.split(".")[1] in m]
    assert token not in caplog.text
