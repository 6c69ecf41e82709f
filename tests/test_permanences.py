"""Permanences on real databases: publishing, booking slots, races, cancelled dates, privacy."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from pole.auth.models import User
from pole.bookings import services as bookings
from pole.bookings.models import Booking, Series
from pole.db import db, utcnow
from pole.events.models import Event
from pole.feeds.appointments import appointments_for_feed
from pole.organisations.models import Organisation
from pole.permanences import services
from pole.permanences.models import Appointment, Permanence
from pole.permanences.views import slot_key
from pole.resources.models import Resource
from pole.timeutil import local_to_utc
from tests.concurrency import race
from tests.factories import (
    errors_beside,
    make_booking,
    make_organisation,
    make_permanence,
    make_resource,
    make_user,
    page_text,
)

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2031, 3, 1, 9, 0, tzinfo=UTC)  # a Saturday, far enough ahead
THURSDAY = date(2031, 3, 6)
CLIENTS = 20
REF, NOTE = "M.D.", "Question sur un loyer impayé"
FAIR_SHARE_MESSAGE = (
    "Votre association a déjà 2 créneaux sur cette permanence ; "
    "les créneaux restants s'ouvrent à tous 48 h avant."
)


@dataclass
class World:
    """One building: a room, the CCAS and its social worker, two associations, a permanence."""

    room: Resource
    ccas: Organisation
    restos: Organisation
    epicerie: Organisation
    social_worker: User
    alice: User  # Restos
    bob: User  # Restos
    chloe: User  # Épicerie
    manager: User
    permanence: Permanence
    day: date  # the first date of the permanence
    now: datetime

    def at(self, hh: int, mm: int = 0, weeks: int = 0) -> datetime:
        return local_to_utc(self.day + timedelta(weeks=weeks), time(hh, mm), PARIS)

    def book(self, user: User, org: Organisation, start: datetime, **fields) -> Appointment:
        data = services.AppointmentData(
            org.id,
            fields.pop("purpose", "logement"),
            note=fields.pop("note", NOTE),
            beneficiary_ref=fields.pop("beneficiary_ref", REF),
        )
        return services.book_slot(
            self.permanence.id, start, data, user, fields.pop("now", self.now)
        )


def build_world(now: datetime, day: date, **pattern) -> World:
    room = make_resource(name="Bureau partagé 1")
    ccas = make_organisation(kind="ccas", name="CCAS")
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    epicerie = make_organisation(name="Épicerie solidaire", short_name="Épicerie")
    social_worker = make_user(ccas, is_social_worker=True, name="Claire Social")
    permanence = make_permanence(
        social_worker,
        room,
        now=now,
        weekdays=frozenset({day.weekday()}),
        **pattern,
    )
    return World(
        room=room,
        ccas=ccas,
        restos=restos,
        epicerie=epicerie,
        social_worker=social_worker,
        alice=make_user(restos, name="Alice Restos"),
        bob=make_user(restos, name="Bob Restos"),
        chloe=make_user(epicerie, name="Chloé Épicerie"),
        manager=make_user(is_manager=True, name="Nadia Gestion"),
        permanence=permanence,
        day=day,
        now=now,
    )


@pytest.fixture()
def world(app) -> World:
    """A Thursday permanence in 2031, for the services: `now` is passed explicitly."""
    return build_world(NOW, THURSDAY)


@pytest.fixture()
def live(app) -> World:
    """A permanence three days from today, for the screens, which use the real clock."""
    today = datetime.now(PARIS).date()
    day = today + timedelta(days=3)
    return build_world(utcnow(), day, until=today + timedelta(days=40))


def active_appointments(permanence_id: int) -> list[Appointment]:
    db.session.rollback()  # see what the other threads or requests committed
    return list(
        db.session.scalars(
            sa.select(Appointment).where(
                Appointment.permanence_id == permanence_id, Appointment.status != "cancelled"
            )
        )
    )


def text_of(html: str) -> str:
    """What a person reads: tags removed, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def slot_states(world: World, viewer: User, weeks: int = 0) -> dict[str, str]:
    session = services.session_on(
        world.permanence, world.day + timedelta(weeks=weeks), viewer, world.now
    )
    return {e.slot.label: e.state for e in session.slots}


# Publishing -----------------------------------------------------------------------------------


def test_publishing_books_the_room_for_those_hours_as_a_ccas_series(world):
    booked = db.session.scalars(
        sa.select(Booking).where(Booking.resource_id == world.room.id).order_by(Booking.start)
    ).all()
    assert len(booked) == 8  # eight Thursdays from 1 March to 26 April 2031
    assert booked[0].start == world.at(14) and booked[0].end == world.at(17)
    assert booked[-1].start == world.at(14, weeks=7)  # still 14:00 after the spring change
    series_id = world.permanence.patterns[0].series_id
    assert {(b.organisation_id, b.series_id, b.status) for b in booked} == {
        (world.ccas.id, series_id, "confirmed")
    }
    assert list(slot_states(world, world.alice)) == [
        "14:00",
        "14:30",
        "15:00",
        "15:30",
        "16:00",
        "16:30",
    ]


def test_a_clash_with_an_existing_booking_is_shown_before_publishing_and_nothing_is_saved(app):
    room = make_resource()
    restos = make_organisation(name="Restos du cœur")
    make_booking(room, restos, local_to_utc(date(2031, 3, 13), time(15, 0), PARIS), title="AG")
    ccas = make_organisation(kind="ccas")
    social_worker = make_user(ccas, is_social_worker=True)
    data = services.PermanenceData(
        room.id,
        ccas.id,
        "Permanence sociale",
        services.PatternData(
            frozenset({3}), time(14), time(17), 30, date(2031, 3, 1), date(2031, 3, 31)
        ),
    )
    preview = services.preview_permanence(data, social_worker, NOW)
    assert [c.day for c in preview.conflicts] == [date(2031, 3, 13)]
    assert "Ce créneau est déjà pris : Réservé — Restos du cœur" in (
        preview.conflicts[0].reasons[0].message
    )
    with pytest.raises(bookings.SeriesRefused):
        services.publish_permanence(data, social_worker, now=NOW)
    assert db.session.scalar(sa.select(sa.func.count(Permanence.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Series.id))) == 0

    permanence = services.publish_permanence(data, social_worker, [date(2031, 3, 13)], NOW)
    sessions = services.sessions_of(
        permanence, date(2031, 3, 1), date(2031, 3, 31), social_worker, NOW
    )
    assert [s.day.day for s in sessions] == [6, 20, 27]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"pause_start": time(13), "pause_end": time(14, 30)}, "pause_start", "pause"),
        ({"slot_minutes": 25}, "slot_minutes", "Un créneau dure"),
        ({"until": date(2033, 1, 1)}, "until", "au plus 365 jours à l'avance"),
    ],
    ids=["pause-outside", "odd-slot", "beyond-the-room-horizon"],
)
def test_a_wrong_pattern_is_refused_beside_its_field(app, changes, field, message):
    room = make_resource()
    ccas = make_organisation(kind="ccas")
    social_worker = make_user(ccas, is_social_worker=True)
    fields = {
        "weekdays": frozenset({3}),
        "start_time": time(14),
        "end_time": time(17),
        "slot_minutes": 30,
        "first_day": date(2031, 3, 1),
        "until": date(2031, 3, 31),
        **changes,
    }
    data = services.PermanenceData(room.id, ccas.id, "Permanence", services.PatternData(**fields))
    with pytest.raises(services.PermanenceRefused) as refused:
        services.publish_permanence(data, social_worker, now=NOW)
    assert [r.field for r in refused.value.reasons] == [field]
    assert message in refused.value.reasons[0].message


def test_only_social_workers_publish(world):
    data = services.PermanenceData(
        world.room.id,
        world.ccas.id,
        "Permanence",
        services.PatternData(
            frozenset({4}), time(9), time(12), 30, date(2031, 3, 1), date(2031, 3, 31)
        ),
    )
    with pytest.raises(services.PermanenceRefused, match="travailleurs sociaux"):
        services.publish_permanence(data, world.alice, now=NOW)


# Booking slots --------------------------------------------------------------------------------


def test_a_volunteer_books_a_slot_that_her_association_then_holds(world):
    appointment = world.book(world.alice, world.restos, world.at(14, 30))
    assert (appointment.status, appointment.day) == ("booked", THURSDAY)
    assert (appointment.start, appointment.end) == (world.at(14, 30), world.at(15))
    assert (appointment.beneficiary_ref, appointment.note) == (REF, NOTE)
    assert slot_states(world, world.bob)["14:30"] == "mine"
    assert slot_states(world, world.chloe)["14:30"] == "taken"
    assert slot_states(world, world.chloe)["15:00"] == "free"


def test_a_taken_slot_is_refused_with_a_clear_message(world):
    world.book(world.alice, world.restos, world.at(15))
    with pytest.raises(services.AppointmentRefused) as refused:
        world.book(world.chloe, world.epicerie, world.at(15))
    assert refused.value.lost_race
    assert "vient d'être réservé" in str(refused.value)


def test_a_question_of_the_volunteer_keeps_no_beneficiary_reference(world):
    data = services.AppointmentData(
        world.restos.id, "orientation", for_whom="volunteer", beneficiary_ref="A.B."
    )
    appointment = services.book_slot(world.permanence.id, world.at(16), data, world.alice, NOW)
    assert (appointment.for_whom, appointment.beneficiary_ref) == ("volunteer", "")


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ((14, 10), "n'existe pas"),
        ((17, 0), "n'existe pas"),
    ],
    ids=["between-slots", "after-the-end"],
)
def test_only_real_slots_can_be_booked(world, start, message):
    with pytest.raises(services.AppointmentRefused, match=message):
        world.book(world.alice, world.restos, world.at(*start))


def test_a_volunteer_books_only_for_an_association_she_belongs_to(world):
    with pytest.raises(services.AppointmentRefused) as refused:
        world.book(world.alice, world.epicerie, world.at(14))
    assert [r.field for r in refused.value.reasons] == ["organisation_id"]


def test_the_fair_share_limit_holds_until_48_hours_before(world):
    world.book(world.alice, world.restos, world.at(14))
    world.book(world.bob, world.restos, world.at(14, 30))
    with pytest.raises(services.AppointmentRefused) as refused:
        world.book(world.alice, world.restos, world.at(15), now=world.at(14) - timedelta(hours=49))
    assert str(refused.value) == FAIR_SHARE_MESSAGE
    third = world.book(
        world.alice, world.restos, world.at(15), now=world.at(14) - timedelta(hours=48)
    )
    assert third.status == "booked"
    assert world.book(world.chloe, world.epicerie, world.at(16)).status == "booked"


def test_slots_open_21_days_ahead(world):
    later = world.at(14, weeks=3)  # 27 March: opens on 6 March
    with pytest.raises(services.AppointmentRefused, match="réservable à partir du jeu. 06/03"):
        world.book(world.alice, world.restos, later, now=datetime(2031, 3, 5, 22, 59, tzinfo=UTC))
    opened = world.book(
        world.alice, world.restos, later, now=datetime(2031, 3, 5, 23, 0, tzinfo=UTC)
    )
    assert opened.day == date(2031, 3, 27)


def test_an_association_cancels_its_appointment_until_the_slot_starts(world):
    appointment = world.book(world.alice, world.restos, world.at(14, 30))
    with pytest.raises(services.AppointmentRefused, match="autre association"):
        services.cancel_appointment(appointment.id, world.chloe, now=NOW)
    with pytest.raises(services.AppointmentRefused, match="déjà commencé"):
        services.cancel_appointment(appointment.id, world.alice, now=world.at(14, 30))
    cancelled = services.cancel_appointment(appointment.id, world.bob, now=world.at(14, 29))
    assert cancelled.status == "cancelled" and cancelled.sequence == 1
    assert world.book(world.chloe, world.epicerie, world.at(14, 30)).status == "booked"


def test_one_active_appointment_per_slot_is_enforced_by_the_database(world):
    first = world.book(world.alice, world.restos, world.at(14))
    twin = Appointment(
        permanence_id=first.permanence_id,
        day=first.day,
        start=first.start,
        end=first.end,
        organisation_id=world.epicerie.id,
        purpose="autre",
    )
    db.session.add(twin)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
    services.cancel_appointment(first.id, world.alice, now=NOW)
    db.session.add(
        Appointment(
            permanence_id=first.permanence_id,
            day=first.day,
            start=first.start,
            end=first.end,
            organisation_id=world.epicerie.id,
            purpose="autre",
        )
    )
    db.session.commit()  # a cancelled appointment no longer holds the slot


def test_a_blocked_slot_cannot_be_booked_until_it_is_opened_again(world):
    services.block_slot(world.permanence.id, world.at(15), world.social_worker)
    assert slot_states(world, world.alice)["15:00"] == "blocked"
    with pytest.raises(services.AppointmentRefused, match="pas ouvert aux rendez-vous"):
        world.book(world.alice, world.restos, world.at(15))
    with pytest.raises(services.PermanenceRefused):
        services.unblock_slot(world.permanence.id, world.at(15), world.alice)
    services.unblock_slot(world.permanence.id, world.at(15), world.social_worker)
    world.book(world.alice, world.restos, world.at(15))
    with pytest.raises(services.PermanenceRefused, match="a un rendez-vous"):
        services.block_slot(world.permanence.id, world.at(15), world.social_worker)


def test_the_social_worker_marks_appointments_seen_no_show_or_cancelled(world):
    seen = world.book(world.alice, world.restos, world.at(14))
    absent = world.book(world.chloe, world.epicerie, world.at(14, 30))
    gone = world.book(world.bob, world.restos, world.at(15))
    sw = world.social_worker
    assert services.mark_appointment(seen.id, "seen", sw, NOW).status == "seen"
    # Absent only once the appointment has started.
    assert services.mark_appointment(absent.id, "no_show", sw, world.at(14, 30)).status == "no_show"
    assert services.mark_appointment(gone.id, "cancelled", sw, NOW).status == "cancelled"
    with pytest.raises(services.AppointmentRefused, match="travailleuse sociale"):
        services.mark_appointment(seen.id, "no_show", world.manager, NOW)
    assert slot_states(world, world.chloe)["15:00"] == "free"


def test_every_change_of_an_appointment_tells_calendars_once_at_its_time(world, mailbox):
    """Each change raises the iCal SEQUENCE by one and dates it with the change's `now`."""
    appointment = world.book(world.alice, world.restos, world.at(14))
    sw = world.social_worker
    steps = [
        (lambda at: services.mark_appointment(appointment.id, "seen", sw, at), "seen"),
        (lambda at: services.mark_appointment(appointment.id, "seen", sw, at), "seen"),
        (lambda at: services.mark_appointment(appointment.id, "booked", sw, at), "booked"),
        (lambda at: services.cancel_from_sheet(appointment.id, sw, at), "cancelled"),
        (lambda at: services.restore_appointment(appointment.id, sw, at), "booked"),
        (lambda at: services.cancel_appointment(appointment.id, world.alice, at), "cancelled"),
    ]
    expected_sequence = 0
    for hours, (change, status) in enumerate(steps, start=1):
        at = NOW + timedelta(hours=hours)
        change(at)
        db.session.expire_all()
        row = db.session.get(Appointment, appointment.id)
        changed = hours != 2  # marking "seen" twice changes nothing
        expected_sequence += changed
        assert (row.status, row.sequence) == (status, expected_sequence)
        if changed:
            assert row.updated_at == at
    cancelled_day = world.book(world.bob, world.restos, world.at(15, weeks=1))
    services.cancel_date(
        world.permanence.id, THURSDAY + timedelta(weeks=1), sw, now=NOW + timedelta(days=1)
    )
    db.session.expire_all()
    row = db.session.get(Appointment, cancelled_day.id)
    assert (row.status, row.sequence, row.updated_at) == (
        "cancelled",
        1,
        NOW + timedelta(days=1),
    )


# Concurrency ----------------------------------------------------------------------------------


@pytest.mark.concurrency
@pytest.mark.parametrize("round_", range(3))
def test_twenty_volunteers_for_one_slot_make_exactly_one_appointment(app, world, round_):
    orgs = [world.restos, world.epicerie, make_organisation(), make_organisation()]
    volunteers = [(make_user(orgs[i % 4]).id, orgs[i % 4].id) for i in range(CLIENTS)]
    permanence_id, start = world.permanence.id, world.at(15, 30)

    def book(i):
        user_id, org_id = volunteers[i]
        data = services.AppointmentData(org_id, "budget", beneficiary_ref=f"R{i}")
        return services.book_slot(permanence_id, start, data, db.session.get(User, user_id), NOW)

    outcomes = race(app, book, refused=(services.PermanenceRefused,))
    won = [o for o in outcomes if isinstance(o, Appointment)]
    lost = [o for o in outcomes if isinstance(o, services.AppointmentRefused)]
    assert len(won) == 1 and len(lost) == CLIENTS - 1, outcomes
    assert all(o.lost_race for o in lost)
    assert len(active_appointments(permanence_id)) == 1


@pytest.mark.concurrency
@pytest.mark.parametrize("round_", range(3))
def test_volunteers_of_one_association_racing_past_its_fair_share_get_one_more_slot(app, round_):
    world = build_world(NOW, THURSDAY, start_time=time(9), end_time=time(17), slot_minutes=15)
    world.book(world.alice, world.restos, world.at(9))  # the Restos hold 1 slot of 2
    volunteers = [make_user(world.restos).id for _ in range(CLIENTS)]
    starts = [world.at(9, 15) + timedelta(minutes=15 * i) for i in range(CLIENTS)]
    permanence_id, restos_id = world.permanence.id, world.restos.id

    def book(i):
        data = services.AppointmentData(restos_id, "droits")
        user = db.session.get(User, volunteers[i])
        return services.book_slot(permanence_id, starts[i], data, user, NOW)

    outcomes = race(app, book, refused=(services.PermanenceRefused,))
    won = [o for o in outcomes if isinstance(o, Appointment)]
    refused = [o for o in outcomes if isinstance(o, services.AppointmentRefused)]
    assert len(won) == 1 and len(refused) == CLIENTS - 1, outcomes
    assert {str(o) for o in refused} == {FAIR_SHARE_MESSAGE}
    assert len(active_appointments(permanence_id)) == 2


# Cancelling a date, changing the pattern ------------------------------------------------------


def test_cancelling_a_date_releases_the_room_and_tells_each_association(world, mailbox):
    restos_slot = world.book(world.alice, world.restos, world.at(14))
    epicerie_slot = world.book(world.chloe, world.epicerie, world.at(15))
    next_week = world.book(world.bob, world.restos, world.at(14, weeks=1))

    outcome = services.cancel_date(
        world.permanence.id, THURSDAY, world.social_worker, "Formation", now=NOW
    )

    assert outcome.notified == ["Restos du cœur", "Épicerie solidaire"]
    assert outcome.cancelled == 2
    db.session.expire_all()
    assert [db.session.get(Appointment, a.id).status for a in (restos_slot, epicerie_slot)] == [
        "cancelled",
        "cancelled",
    ]
    assert db.session.get(Appointment, next_week.id).status == "booked"
    room_bookings = db.session.scalars(
        sa.select(Booking).where(Booking.resource_id == world.room.id).order_by(Booking.start)
    ).all()
    assert [b.status for b in room_bookings[:2]] == ["cancelled", "confirmed"]
    mail = mailbox.to(world.alice.email)
    body = mail.get_content()
    # The room is free for anyone that afternoon.
    bookings.create_booking(
        bookings.BookingData(world.room.id, world.restos.id, world.at(14), world.at(17), "AG"),
        world.alice,
        NOW,
    )
    assert mail["Subject"] == "Permanence annulée : jeu. 06/03"
    assert "Formation" in body and "14:00" in body
    assert REF not in body and NOTE not in body
    assert "15:00" in mailbox.to(world.chloe.email).get_content()
    with pytest.raises(services.AppointmentRefused, match="annulée"):
        world.book(world.chloe, world.epicerie, world.at(16))
    with pytest.raises(services.PermanenceRefused, match="déjà annulée"):
        services.cancel_date(world.permanence.id, THURSDAY, world.social_worker, now=NOW)


def test_a_cancelled_date_that_fails_to_release_the_room_cancels_no_appointment(world, mailbox):
    appointment = world.book(world.alice, world.restos, world.at(14))

    def refuse_room_release(session, flush_context, instances) -> None:  # noqa: ANN001
        # The database refuses the room's release, as a lost connection would.
        if any(isinstance(o, Booking) and o.status == "cancelled" for o in session.dirty):
            raise sa.exc.OperationalError("UPDATE bookings", {}, Exception("connection lost"))

    sa.event.listen(db.session, "before_flush", refuse_room_release)
    try:
        with pytest.raises(sa.exc.OperationalError):
            services.cancel_date(world.permanence.id, THURSDAY, world.social_worker, now=NOW)
    finally:
        sa.event.remove(db.session, "before_flush", refuse_room_release)

    db.session.rollback()
    assert db.session.get(Appointment, appointment.id).status == "booked"
    room_booking = db.session.scalars(
        sa.select(Booking).where(Booking.resource_id == world.room.id).order_by(Booking.start)
    ).first()
    assert room_booking.status == "confirmed"
    assert not db.session.scalars(
        sa.select(Event).where(Event.kind == "permanence.date_cancelled")
    ).all()
    # The appointment's own mail (to the social worker) left; none about the date.
    assert not [m for m in mailbox.messages if m["Subject"].startswith("Permanence")]
    # Nothing half-done stands in the way: the date can be called off again.
    outcome = services.cancel_date(world.permanence.id, THURSDAY, world.social_worker, now=NOW)
    assert outcome.cancelled == 1


def test_the_cancelled_date_shows_on_the_home_page_of_each_association(
    live, mailbox, client, login_as
):
    live.book(live.alice, live.restos, live.at(14), now=utcnow())
    services.cancel_date(live.permanence.id, live.day, live.social_worker, "Congé", now=utcnow())
    login_as(live.bob)
    home = page_text(client.get("/"))
    assert "Depuis votre dernière visite" in home
    assert "Permanence « Permanence sociale »" in home and "annulée par Claire Social" in home
    assert "« Congé »" in home
    assert "Rendez-vous du" in home  # the association's own appointment, called off
    login_as(live.chloe)  # her association had no slot that day: told of the date only
    home = page_text(client.get("/"))
    assert "annulée par Claire Social" in home and "Rendez-vous du" not in home


def test_changing_the_pattern_from_a_date_keeps_earlier_appointments(world, mailbox):
    earlier = world.book(world.alice, world.restos, world.at(14, 30))
    still_fits = world.book(world.alice, world.restos, world.at(15, weeks=2))
    no_longer = world.book(world.chloe, world.epicerie, world.at(14, weeks=2))
    change_from = THURSDAY + timedelta(days=8)

    outcome = services.change_pattern(
        world.permanence.id,
        services.PatternData(
            frozenset({3}), time(15), time(17), 30, change_from, date(2031, 4, 30)
        ),
        world.social_worker,
        now=NOW,
    )

    assert outcome.notified == ["Épicerie solidaire"]
    db.session.expire_all()
    statuses = [db.session.get(Appointment, a.id).status for a in (earlier, still_fits, no_longer)]
    assert statuses == ["booked", "booked", "cancelled"]
    assert list(slot_states(world, world.alice))[0] == "14:00"
    assert list(slot_states(world, world.alice, weeks=2)) == ["15:00", "15:30", "16:00", "16:30"]
    room = db.session.scalars(
        sa.select(Booking)
        .where(Booking.resource_id == world.room.id, Booking.status == "confirmed")
        .order_by(Booking.start)
    ).all()
    assert [(b.start, b.end) for b in room[:3]] == [
        (world.at(14), world.at(17)),
        (world.at(14, weeks=1), world.at(17, weeks=1)),
        (world.at(15, weeks=2), world.at(17, weeks=2)),
    ]
    assert "change d'horaires" in mailbox.to(world.chloe.email).get_content()
    # The association that lost its appointment is told on its home page: the event says it.
    db.session.rollback()
    [lost] = db.session.scalars(
        sa.select(Event).where(
            Event.kind == "appointment.cancelled", Event.subject_id == no_longer.id
        )
    ).all()
    assert lost.organisation_id == world.epicerie.id
    assert any(e.kind == "permanence.changed" for e in db.session.scalars(sa.select(Event)))


# What the screens show ------------------------------------------------------------------------


def slot_url(world: World, start: datetime) -> str:
    return f"/permanences/{world.permanence.id}/creneau/{slot_key(start)}"


def booking_form(world: World, org: Organisation, **fields) -> dict:
    return {
        "organisation_id": str(org.id),
        "for_whom": "beneficiary",
        "purpose": "logement",
        "beneficiary_ref": REF,
        "note": NOTE,
        **fields,
    }


def test_volunteers_see_the_coming_permanences_with_their_free_slots(live, client, login_as):
    live.book(live.chloe, live.epicerie, live.at(14), now=utcnow())
    login_as(live.alice)
    page = page_text(client.get("/permanences/"))
    assert "5 créneaux libres sur 6" in text_of(page)
    assert f'href="{slot_url(live, live.at(14, 30))}"' in page
    assert "Pris" in page


def test_booking_with_htmx_swaps_the_slot_in_place_and_refreshes_our_list(live, client, login_as):
    login_as(live.alice)
    url = slot_url(live, live.at(14, 30))
    opened = client.get(url, headers={"HX-Request": "true"})
    assert opened.get_data(as_text=True).lstrip().startswith("<li id=")
    assert "N'écrivez jamais le nom" in page_text(opened)

    response = client.post(
        url, data=booking_form(live, live.restos), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = page_text(response)
    assert html.lstrip().startswith(
        f'<li id="slot-{live.permanence.id}-{slot_key(live.at(14, 30))}"'
    )
    assert "Réservé · Restos" in html and "Rendez-vous réservé" in html
    assert 'id="our-appointments"' in html and 'hx-swap-oob="true"' in html
    assert f'id="status-{live.permanence.id}-{live.day:%Y%m%d}"' in html
    assert "5 créneaux libres sur 6" in text_of(html)
    assert "HX-Request" in response.headers["Vary"]
    assert len(active_appointments(live.permanence.id)) == 1


def test_cancelling_from_the_slot_shows_the_slot_again_whatever_the_htmx_target(
    live, client, login_as
):
    mine = live.book(live.alice, live.restos, live.at(14, 30), now=utcnow())
    login_as(live.bob)
    page = client.get("/permanences/").get_data(as_text=True)
    url = f"/permanences/rendez-vous/{mine.id}/annuler/creneau"
    assert f'hx-post="{url}"' in page
    # The HTMX headers choose how to answer (the slot's block), never what.
    response = client.post(url, headers={"HX-Request": "true", "HX-Target": "elsewhere"})
    assert response.status_code == 200
    html = page_text(response)
    assert html.lstrip().startswith(
        f'<li id="slot-{live.permanence.id}-{slot_key(live.at(14, 30))}"'
    )
    assert "Rendez-vous annulé : le créneau est libre." in html
    assert "HX-Request" in response.headers["Vary"]
    assert not active_appointments(live.permanence.id)


def test_cancelling_from_the_slot_without_javascript_goes_back_to_the_list(live, client, login_as):
    mine = live.book(live.alice, live.restos, live.at(15), now=utcnow())
    login_as(live.alice)
    response = client.post(f"/permanences/rendez-vous/{mine.id}/annuler/creneau")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/permanences/#slot-{live.permanence.id}-{slot_key(live.at(15))}"
    )
    assert not active_appointments(live.permanence.id)


def test_booking_without_javascript_goes_back_to_the_list(live, client, login_as):
    login_as(live.alice)
    url = slot_url(live, live.at(15))
    assert "Réserver 15:00" in page_text(client.get(url))
    response = client.post(url, data=booking_form(live, live.restos))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/permanences/#slot-{live.permanence.id}-{slot_key(live.at(15))}"
    )


def test_a_second_volunteer_sees_the_slot_taken_and_a_late_click_gets_a_clear_answer(
    live, client, login_as
):
    url = slot_url(live, live.at(16))
    login_as(live.alice)
    client.post(url, data=booking_form(live, live.restos))
    login_as(live.chloe)
    listing = page_text(client.get("/permanences/"))
    assert f'href="{url}"' not in listing
    late = client.post(url, data=booking_form(live, live.epicerie), headers={"HX-Request": "true"})
    assert late.status_code == 409
    assert "Ce créneau vient d'être réservé par quelqu'un d'autre" in page_text(late)
    assert "Pris" in page_text(late)


def test_a_name_instead_of_initials_is_refused_beside_the_field(live, client, login_as):
    login_as(live.alice)
    url = slot_url(live, live.at(14))
    response = client.post(
        url, data=booking_form(live, live.restos, beneficiary_ref="Jean-Baptiste Durandal")
    )
    assert response.status_code == 422
    assert errors_beside(response, f"beneficiary_ref-{slot_key(live.at(14))}") == [
        "20 caractères au plus : des initiales ou un numéro de dossier, jamais un nom."
    ]
    assert active_appointments(live.permanence.id) == []


def test_a_missing_purpose_is_refused_beside_the_field(live, client, login_as):
    login_as(live.alice)
    response = client.post(
        slot_url(live, live.at(14)), data=booking_form(live, live.restos, purpose="")
    )
    assert response.status_code == 422
    assert errors_beside(response, f"purpose-{slot_key(live.at(14))}") == [
        "Choisissez l'objet du rendez-vous."
    ]


def test_the_fair_share_limit_is_explained_when_it_blocks_a_booking(live, client, login_as):
    live.book(live.bob, live.restos, live.at(14), now=utcnow())
    live.book(live.bob, live.restos, live.at(14, 30), now=utcnow())
    login_as(live.alice)
    assert FAIR_SHARE_MESSAGE in page_text(client.get("/permanences/"))
    response = client.post(slot_url(live, live.at(15)), data=booking_form(live, live.restos))
    assert response.status_code == 422
    assert FAIR_SHARE_MESSAGE in page_text(response)


def test_a_slot_beyond_the_opening_window_says_when_it_opens(live, client, login_as):
    login_as(live.alice)
    later = live.at(14, weeks=4)
    page = page_text(client.get(slot_url(live, later)))
    assert "s'ouvrent 21 jours à l'avance" in page
    assert "Réserver 14:00" not in page
    response = client.post(slot_url(live, later), data=booking_form(live, live.restos))
    assert response.status_code == 422
    assert "sera réservable à partir du" in page_text(response)


def test_our_appointments_list_those_of_my_associations_and_can_be_cancelled(
    live, client, login_as
):
    mine = live.book(live.alice, live.restos, live.at(14), now=utcnow())
    live.book(live.chloe, live.epicerie, live.at(15), now=utcnow(), beneficiary_ref="Z.Z.")
    login_as(live.bob)
    page = page_text(client.get("/permanences/nos-rendez-vous"))
    assert REF in page and NOTE in page and "Z.Z." not in page
    response = client.post(
        f"/permanences/rendez-vous/{mine.id}/annuler",
        data={"next": "/permanences/nos-rendez-vous"},
    )
    assert response.status_code == 302
    assert db.session.get(Appointment, mine.id, populate_existing=True).status == "cancelled"


def test_the_publish_form_shows_clashes_before_publishing(app, client, login_as):
    room = make_resource(name="Bureau partagé 1")
    ccas = make_organisation(kind="ccas")
    restos = make_organisation(name="Restos du cœur")
    social_worker = make_user(ccas, is_social_worker=True)
    day = datetime.now(PARIS).date() + timedelta(days=8)
    make_booking(room, restos, local_to_utc(day, time(15), PARIS), title="AG des Restos")
    form = {
        "title": "Permanence sociale",
        "resource_id": str(room.id),
        "organisation_id": str(ccas.id),
        "weekdays": [str(day.weekday())],
        "start_time": "14:00",
        "end_time": "17:00",
        "slot_minutes": "30",
        "first_day": (day - timedelta(days=6)).isoformat(),
        "until": (day + timedelta(days=14)).isoformat(),
        "open_days_ahead": "21",
        "fair_share_limit": "2",
        "fair_share_hours": "48",
    }
    login_as(social_worker)
    shown = client.post("/permanences/publier", data=form)
    assert shown.status_code == 422
    page = page_text(shown)
    assert "1 date n'est pas libre" in page
    assert "Ce créneau est déjà pris : Réservé — Restos du cœur" in page
    assert db.session.scalar(sa.select(sa.func.count(Permanence.id))) == 0

    published = client.post(
        "/permanences/publier", data={**form, "skip_conflicts": "y", "skip": day.isoformat()}
    )
    assert published.status_code == 302
    permanence = db.session.scalar(sa.select(Permanence))
    assert published.headers["Location"].endswith(f"/permanences/{permanence.id}")


def test_a_pattern_error_comes_back_beside_its_field(app, client, login_as):
    make_resource()
    ccas = make_organisation(kind="ccas")
    login_as(make_user(ccas, is_social_worker=True))
    today = datetime.now(PARIS).date()
    response = client.post(
        "/permanences/publier",
        data={
            "title": "Permanence",
            "resource_id": str(db.session.scalar(sa.select(Resource.id))),
            "organisation_id": str(ccas.id),
            "weekdays": ["3"],
            "start_time": "14:00",
            "end_time": "17:00",
            "slot_minutes": "30",
            "pause_start": "15:00",
            "first_day": today.isoformat(),
            "until": (today + timedelta(days=30)).isoformat(),
            "open_days_ahead": "21",
            "fair_share_limit": "2",
            "fair_share_hours": "48",
        },
    )
    assert response.status_code == 422
    assert errors_beside(response, "pause_end") == [
        "Indiquez le début et la fin de la pause, ou aucune des deux."
    ]


def test_the_social_worker_marks_an_appointment_from_her_day_sheet(live, client, login_as):
    appointment = live.book(live.alice, live.restos, live.at(14), now=utcnow())
    login_as(live.social_worker)
    sheet = page_text(client.get(f"/permanences/{live.permanence.id}/jour/{live.day.isoformat()}"))
    assert REF in sheet and NOTE in sheet and "Alice Restos" in sheet and "Logement" in sheet
    response = client.post(
        f"/permanences/rendez-vous/{appointment.id}/statut",
        data={"status": "seen"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert page_text(response).lstrip().startswith(f'<tr id="row-{slot_key(live.at(14))}"')
    assert "Reçu" in page_text(response)
    assert db.session.get(Appointment, appointment.id, populate_existing=True).status == "seen"


def test_the_social_worker_blocks_a_slot_from_her_day_sheet(live, client, login_as):
    login_as(live.social_worker)
    key = slot_key(live.at(15))
    blocked = client.post(
        f"/permanences/{live.permanence.id}/creneau/{key}/bloquer", headers={"HX-Request": "true"}
    )
    assert blocked.status_code == 200
    assert page_text(blocked).lstrip().startswith(f'<tr id="row-{key}"')
    assert "Rouvrir" in page_text(blocked)
    login_as(live.alice)
    listing = page_text(client.get("/permanences/"))
    assert f'href="{slot_url(live, live.at(15))}"' not in listing
    assert "Indisponible" in listing


def test_the_social_worker_changes_the_hours_from_a_date(live, client, login_as):
    login_as(live.social_worker)
    url = f"/permanences/{live.permanence.id}/modifier"
    assert 'value="14:00"' in page_text(client.get(url))
    response = client.post(
        url,
        data={
            "weekdays": [str(live.day.weekday())],
            "start_time": "15:00",
            "end_time": "17:00",
            "slot_minutes": "20",
            "first_day": (live.day + timedelta(days=1)).isoformat(),
            "until": (live.day + timedelta(weeks=4)).isoformat(),
        },
        follow_redirects=True,
    )
    assert "Nouveaux horaires enregistrés. Aucun rendez-vous n'était pris." in page_text(response)
    assert list(slot_states(live, live.alice))[0] == "14:00"
    assert list(slot_states(live, live.alice, weeks=1))[:2] == ["15:00", "15:20"]


def test_the_social_worker_cancels_a_date_from_her_permanence_page(live, client, login_as, mailbox):
    live.book(live.alice, live.restos, live.at(14), now=utcnow())
    login_as(live.social_worker)
    response = client.post(
        f"/permanences/{live.permanence.id}/jour/{live.day.isoformat()}/annuler",
        data={"reason": "Jour férié"},
        follow_redirects=True,
    )
    page = page_text(response)
    assert "Date annulée, salle libérée. 1 rendez-vous annulé(s) ; prévenu(s) : Restos" in page
    assert "Jour férié" in mailbox.to(live.alice.email).get_content()
    login_as(live.alice)
    assert "Permanence annulée ce jour-là : Jour férié" in page_text(client.get("/permanences/"))


def test_the_week_shows_each_permanence_and_its_filling(live, client, login_as):
    live.book(live.alice, live.restos, live.at(14), now=utcnow())
    login_as(live.social_worker)
    page = page_text(client.get(f"/permanences/semaine?du={live.day.isoformat()}"))
    assert "1 réservé sur 6" in page
    home = page_text(client.get("/"))
    assert "Les 7 prochains jours" in home and "1 réservé sur 6" in home


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("alice", "/permanences/publier"),
        ("alice", "/permanences/{pid}/jour/{day}"),
        ("manager", "/permanences/{pid}/jour/{day}"),
        ("alice", "/permanences/{pid}"),
        ("alice", "/permanences/semaine"),
    ],
    ids=[
        "volunteer-publishes",
        "volunteer-day-sheet",
        "manager-day-sheet",
        "volunteer-manage",
        "volunteer-week",
    ],
)
def test_what_is_for_the_social_worker_is_forbidden_to_others(live, client, login_as, who, path):
    login_as(getattr(live, who))
    url = path.format(pid=live.permanence.id, day=live.day.isoformat())
    assert client.get(url).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(live, client):
    assert client.get("/permanences/").status_code == 302


# Privacy and retention ------------------------------------------------------------------------


def test_reference_and_note_stay_with_the_social_worker_and_the_booking_association(
    live, client, login_as, caplog
):
    caplog.set_level(logging.DEBUG)
    login_as(live.alice)
    client.post(slot_url(live, live.at(14, 30)), data=booking_form(live, live.restos))

    def sees(user, path: str) -> bool:
        if user is None:
            client.delete_cookie("remember_token")
            client.delete_cookie("session")
        else:
            login_as(user)
        text = page_text(client.get(path))
        return REF in text or NOTE in text

    listing = "/permanences/"
    day_sheet = f"/permanences/{live.permanence.id}/jour/{live.day.isoformat()}"
    assert sees(live.bob, listing) and sees(live.bob, "/permanences/nos-rendez-vous")
    assert sees(live.social_worker, day_sheet)
    assert not sees(live.chloe, listing)
    assert not sees(live.chloe, "/permanences/nos-rendez-vous")
    assert not sees(live.chloe, slot_url(live, live.at(14, 30)))
    assert not sees(live.manager, f"/permanences/semaine?du={live.day.isoformat()}")
    assert not sees(live.manager, f"/permanences/{live.permanence.id}")
    assert not sees(live.chloe, f"/salles/{live.room.id}")
    assert not sees(None, f"/salles/{live.room.id}")
    assert not sees(None, "/")
    feed = appointments_for_feed(
        live.at(0), live.at(23, 59), social_worker_id=live.social_worker.id
    )
    assert len(feed) == 1 and REF not in repr(feed) and NOTE not in repr(feed)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert REF not in logged and NOTE not in logged


def test_the_feed_data_is_plain_and_stable(world):
    kept = world.book(world.alice, world.restos, world.at(14))
    gone = world.book(world.chloe, world.epicerie, world.at(15))
    services.cancel_appointment(gone.id, world.chloe, now=NOW)
    window = (world.at(0), world.at(23, 59))
    of_worker = appointments_for_feed(*window, social_worker_id=world.social_worker.id)
    assert [(a.uid, a.status, a.is_cancelled, a.sequence) for a in of_worker] == [
        (f"appointment-{kept.id}", "booked", False, 0),
        (f"appointment-{gone.id}", "cancelled", True, 1),
    ]
    first = of_worker[0]
    assert (first.start, first.end) == (world.at(14), world.at(14, 30))
    assert (first.purpose_label, first.association_name) == ("Logement", "Restos du cœur")
    assert (first.permanence_title, first.room_name) == ("Permanence sociale", "Bureau partagé 1")
    of_restos = appointments_for_feed(*window, organisation_id=world.restos.id)
    assert [a.uid for a in of_restos] == [f"appointment-{kept.id}"]
    with pytest.raises(ValueError):
        appointments_for_feed(*window)


def test_purge_deletes_appointment_data_older_than_the_retention(world):
    old = world.book(world.alice, world.restos, world.at(14)).id
    recent = world.book(world.alice, world.restos, world.at(14, weeks=1)).id
    a_year_later = world.at(14, 30) + timedelta(days=365, hours=1)
    purged = services.purge(365, now=a_year_later)
    assert purged.appointments == 1
    db.session.expire_all()
    assert db.session.get(Appointment, old) is None
    assert db.session.get(Appointment, recent) is not None


def test_flask_pole_purge_uses_the_configured_retention(app, world):
    long_ago = utcnow() - timedelta(days=400)
    db.session.add(
        Appointment(
            permanence_id=world.permanence.id,
            day=long_ago.date(),
            start=long_ago,
            end=long_ago + timedelta(minutes=30),
            organisation_id=world.restos.id,
            purpose="budget",
            beneficiary_ref="O.L.D.",
            status="seen",
        )
    )
    db.session.commit()
    world.book(world.alice, world.restos, world.at(14))
    assert app.config["POLE_APPOINTMENT_RETENTION_DAYS"] == 365
    result = app.test_cli_runner().invoke(args=["pole", "purge"])
    assert result.exit_code == 0, result.output
    assert "1 rendez-vous" in result.output and "365 jours" in result.output
    db.session.rollback()
    assert [a.beneficiary_ref for a in db.session.scalars(sa.select(Appointment))] == [REF]
