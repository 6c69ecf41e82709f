"""The sites rule on the paths that give an organisation time without a booking form: an
appointment at a permanence, a manager's approval of a pending request, a waiting list's offer.
An organisation working elsewhere is refused in French (422 beside the field, or the reason
shown), and nothing changes."""

from __future__ import annotations

from datetime import date, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from pole.bookings import services as bookings
from pole.bookings.models import Booking
from pole.db import db, utcnow
from pole.organisations.models import Membership
from pole.permanences import services as permanences
from pole.permanences.models import Appointment
from pole.permanences.views import slot_key
from pole.sites import services as sites
from pole.timeutil import local_to_utc
from pole.waitlist import services as waitlist
from pole.waitlist.models import Wish
from tests.factories import (
    errors_beside,
    make_organisation,
    make_permanence,
    make_resource,
    make_site,
    make_user,
    page_text,
)

PARIS = ZoneInfo("Europe/Paris")
THURSDAY = 3
ELSEWHERE = "Amicale du centre ne travaille pas sur le site « Les 4 Épis »."
RESTOS_LEFT = "Restos du cœur ne travaille pas sur le site « Les 4 Épis »."


def next_thursday() -> date:
    """A Thursday one to two weeks after the (injected) clock's today: its slots are open."""
    today = utcnow().astimezone(PARIS).date()
    return today + timedelta(days=7 + (THURSDAY - today.weekday()) % 7)


@pytest.fixture()
def city(app):
    """The 4 Épis (an office holding the social worker's permanence, a hall that needs the
    manager's approval) and a day centre; the Amicale works only at the centre."""
    epis = make_site(name="Les 4 Épis")
    centre = make_site(name="Centre de jour")
    amicale = make_organisation(name="Amicale du centre", short_name="Amicale")
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    sites.set_organisation_sites(amicale.id, {centre.id})
    ccas = make_organisation(kind="ccas", name="CCAS")
    office = make_resource(epis, name="Bureau partagé 1")
    day = next_thursday()
    both = make_user(amicale, role="coordinator", name="Binta Deux-Assos")
    db.session.add(Membership(user_id=both.id, organisation_id=restos.id, role="coordinator"))
    db.session.commit()
    return SimpleNamespace(
        epis=epis,
        centre=centre,
        amicale=amicale,
        restos=restos,
        hall=make_resource(epis, name="Hall d'accueil", requires_approval=True),
        permanence=make_permanence(make_user(ccas, is_social_worker=True), office),
        slot=local_to_utc(day, time(14), PARIS),
        manager=make_user(name="Nadia Gestion", is_manager=True),
        awa=make_user(amicale, role="coordinator", name="Awa Amicale"),
        paul=make_user(restos, role="coordinator", name="Paul Restos"),
        both=both,
    )


def count(model) -> int:  # noqa: ANN001
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# Appointments at a permanence -------------------------------------------------------------------


def appointment(organisation) -> permanences.AppointmentData:  # noqa: ANN001
    return permanences.AppointmentData(organisation.id, "logement", beneficiary_ref="M.D.")


def test_the_service_refuses_an_appointment_for_an_association_working_elsewhere(city):
    with pytest.raises(permanences.AppointmentRefused) as refused:
        permanences.book_slot(city.permanence.id, city.slot, appointment(city.amicale), city.awa)
    assert [(r.field, r.message) for r in refused.value.reasons] == [("organisation_id", ELSEWHERE)]
    assert count(Appointment) == 0
    booked = permanences.book_slot(
        city.permanence.id, city.slot, appointment(city.restos), city.paul
    )
    assert booked.organisation_id == city.restos.id


def test_an_appointment_is_not_restored_once_its_association_left_the_site(city):
    booked = permanences.book_slot(
        city.permanence.id, city.slot, appointment(city.restos), city.paul
    )
    social_worker = city.permanence.social_worker
    permanences.cancel_from_sheet(booked.id, social_worker)
    sites.set_organisation_sites(city.restos.id, {city.centre.id})
    with pytest.raises(permanences.AppointmentRefused) as refused:
        permanences.restore_appointment(booked.id, social_worker)
    assert str(refused.value) == RESTOS_LEFT
    db.session.rollback()
    assert db.session.get(Appointment, booked.id).status == "cancelled"
    sites.set_organisation_sites(city.restos.id, set())
    permanences.restore_appointment(booked.id, social_worker)
    db.session.rollback()
    assert db.session.get(Appointment, booked.id).status == "booked"


def slot_url(city) -> str:  # noqa: ANN001
    return f"/permanences/{city.permanence.id}/creneau/{slot_key(city.slot)}"


def slot_form(organisation) -> dict:  # noqa: ANN001
    return {"organisation_id": organisation.id, "for_whom": "beneficiary", "purpose": "logement"}


def test_a_volunteer_whose_association_works_elsewhere_is_not_offered_the_slot(
    city, client, login_as
):
    login_as(city.awa)
    assert f'hx-get="{slot_url(city)}"' not in client.get("/permanences/").get_data(as_text=True)
    shown = client.get(slot_url(city))
    assert shown.status_code == 200
    assert ELSEWHERE in page_text(shown) and "Réserver 14:00" not in page_text(shown)
    for headers in ({}, {"HX-Request": "true"}):
        posted = client.post(slot_url(city), data=slot_form(city.amicale), headers=headers)
        assert posted.status_code == 422
        assert ELSEWHERE in page_text(posted)
    assert count(Appointment) == 0


def test_the_slot_form_offers_only_the_associations_working_in_the_site(city, client, login_as):
    login_as(city.both)
    shown = page_text(client.get(slot_url(city)))
    assert "Pour <strong>Restos du cœur</strong>" in shown and "Amicale du centre" not in shown
    posted = client.post(slot_url(city), data=slot_form(city.amicale))
    assert posted.status_code == 422
    assert errors_beside(posted, f"organisation_id-{slot_key(city.slot)}") == [ELSEWHERE]
    assert count(Appointment) == 0
    booked = client.post(slot_url(city), data=slot_form(city.restos))
    assert booked.status_code == 302
    assert db.session.scalar(sa.select(Appointment.organisation_id)) == city.restos.id


# A manager's approval ---------------------------------------------------------------------------


def pending_request(city) -> Booking:  # noqa: ANN001
    start = local_to_utc(next_thursday(), time(18), PARIS)
    data = bookings.BookingData(
        city.hall.id, city.restos.id, start, start + timedelta(hours=2), "Collecte"
    )
    booking = bookings.create_booking(data, city.paul)
    assert booking.status == "pending"
    return booking


def test_approving_a_request_of_an_organisation_that_left_the_site_is_refused(city):
    booking = pending_request(city)
    sites.set_organisation_sites(city.restos.id, {city.centre.id})  # the Restos leave the 4 Épis
    with pytest.raises(bookings.BookingRefused) as refused:
        bookings.approve_booking(booking.id, city.manager)
    assert [r.message for r in refused.value.reasons] == [RESTOS_LEFT]
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == "pending"
    # Refusing it stays possible, and once the Restos work there again it is approved.
    sites.set_organisation_sites(city.restos.id, set())
    assert bookings.approve_booking(booking.id, city.manager).status == "confirmed"


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_the_queue_says_why_an_approval_is_refused_and_keeps_the_request(
    city, client, login_as, htmx
):
    booking = pending_request(city)
    sites.set_organisation_sites(city.restos.id, {city.centre.id})
    login_as(city.manager)
    headers = {"HX-Request": "true"} if htmx else {}
    answer = client.post(
        f"/gestion/demandes/{booking.id}/valider", headers=headers, follow_redirects=True
    )
    assert answer.status_code == 200
    assert RESTOS_LEFT in page_text(answer)
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == "pending"
    rejected = client.post(f"/gestion/demandes/{booking.id}/refuser", data={"reason": "Parti"})
    assert rejected.status_code in (302, 303)
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == "rejected"


# The waiting list's offer ------------------------------------------------------------------------


@pytest.mark.parametrize("left", [False, True], ids=["still-there", "left-the-site"])
def test_a_freed_time_is_offered_only_to_organisations_still_working_there(city, left):
    office = make_resource(city.epis, name="Bureau partagé 2")
    start = local_to_utc(next_thursday(), time(9), PARIS)
    other = make_organisation(name="Secours populaire")
    taken = bookings.create_booking(
        bookings.BookingData(office.id, other.id, start, start + timedelta(hours=2), "Accueil"),
        city.manager,
    )
    wish = waitlist.ask(city.paul, office.id, city.restos.id, start, start + timedelta(hours=2))
    if left:
        sites.set_organisation_sites(city.restos.id, {city.centre.id})
    bookings.cancel_booking(taken.id, city.manager)
    db.session.rollback()
    told = db.session.get(Wish, wish.id).told_at is not None
    assert told is not left
