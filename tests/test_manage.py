"""The building manager's screens: the approval queue and closures, on both databases."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from pole.bookings import services
from pole.bookings.models import Booking
from pole.db import db, utcnow
from pole.outbox.models import OutgoingMail
from pole.resources.models import Closure
from pole.timeutil import local_to_utc
from tests.conftest import free_port
from tests.factories import (
    errors_beside,
    make_booking,
    make_organisation,
    make_resource,
    make_site,
    make_user,
    page_text,
)

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2031, 3, 1, 9, 0, tzinfo=UTC)
TUESDAY = date(2031, 3, 4)
MAY_DAY = date(2031, 5, 1)  # a Thursday, a public holiday
SPRING_FORWARD = date(2031, 3, 30)  # 02:00-03:00 does not exist in Paris
HTMX = {"HX-Request": "true"}


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return local_to_utc(day, time(hh, mm), PARIS)


@pytest.fixture()
def building(app):
    """The kitchen needs approval; the Restos have a volunteer and a coordinator."""
    site = make_site()
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    return SimpleNamespace(
        site=site,
        restos=restos,
        kitchen=make_resource(site, name="Cuisine équipée", requires_approval=True),
        hall=make_resource(site, name="Hall d'accueil"),
        volunteer=make_user(restos, name="Monique Bénévole", email="monique@exemple.fr"),
        coordinator=make_user(restos, role="coordinator"),
        manager=make_user(name="Nadia Gestion", email="nadia@exemple.fr", is_manager=True),
    )


def request_for(b, start: datetime, title: str = "Atelier cuisine", **fields) -> Booking:
    """A kitchen booking by the volunteer, waiting for approval unless told otherwise."""
    fields.setdefault("status", "pending")
    return make_booking(
        b.kitchen, b.restos, start, hours=2, title=title, created_by=b.volunteer, **fields
    )


def reloaded(booking: Booking) -> Booking:
    db.session.expire_all()
    return db.session.get(Booking, booking.id)


@pytest.fixture()
def as_manager(building, auth):
    auth.login(building.manager.email)
    return building


# The approval queue -------------------------------------------------------------------------


def test_the_queue_lists_only_pending_requests_soonest_first(client, as_manager):
    b = as_manager
    later = request_for(b, at(TUESDAY + timedelta(days=7), 14), title="Goûter de Noël")
    sooner = request_for(b, at(TUESDAY, 10), title="Atelier estime de soi")
    request_for(b, at(TUESDAY, 14), title="Déjà confirmé", status="confirmed")
    request_for(b, at(TUESDAY, 16), title="Déjà refusé", status="rejected")
    request_for(b, at(TUESDAY, 18), title="Annulé", status="cancelled")

    response = client.get("/gestion/demandes")

    assert response.status_code == 200
    page = page_text(response)
    assert re.findall(r'id="request-(\d+)"', page) == [str(sooner.id), str(later.id)]
    assert "Déjà confirmé" not in page and "Déjà refusé" not in page and "Annulé" not in page
    assert "mar. 4 mars 2031, 10:00 – 12:00" in page  # local time, not UTC
    assert "Cuisine équipée" in page and "Restos du cœur" in page
    assert "Monique Bénévole" in page
    assert f'href="/reservations/{sooner.id}"' in page


def test_approving_confirms_the_booking_and_mails_the_booker(client, as_manager, mailbox):
    request = request_for(as_manager, at(TUESDAY, 10))

    response = client.post(f"/gestion/demandes/{request.id}/valider")

    assert response.status_code == 302 and response.location.endswith("/gestion/demandes")
    approved = reloaded(request)
    assert approved.status == "confirmed" and approved.decided_by_id == as_manager.manager.id
    mail = mailbox.to("monique@exemple.fr")
    assert "confirmée" in mail["Subject"] and "Atelier cuisine" in mail.get_content()
    assert "Réservation confirmée" in page_text(client.get("/gestion/demandes"))


def test_refusing_without_a_reason_says_so_beside_the_field_and_changes_nothing(
    client, as_manager, mailbox
):
    request = request_for(as_manager, at(TUESDAY, 10))

    response = client.post(f"/gestion/demandes/{request.id}/refuser", data={"reason": "  "})

    assert response.status_code == 422
    assert errors_beside(response, f"reason-{request.id}") == [
        "Indiquez le motif : il est envoyé à la personne qui a demandé."
    ]
    assert "<html" in response.get_data(as_text=True)  # the whole queue, without JavaScript
    assert reloaded(request).status == "pending"
    assert mailbox.messages == []


def test_refusing_with_a_reason_rejects_and_mails_the_reason(client, as_manager, mailbox):
    request = request_for(as_manager, at(TUESDAY, 10))

    response = client.post(
        f"/gestion/demandes/{request.id}/refuser", data={"reason": "Cuisine en travaux ce jour-là"}
    )

    assert response.status_code == 302
    rejected = reloaded(request)
    assert (
        rejected.status == "rejected" and rejected.decision_note == "Cuisine en travaux ce jour-là"
    )
    mail = mailbox.to("monique@exemple.fr")
    assert "refusée" in mail["Subject"]
    assert "Motif : Cuisine en travaux ce jour-là" in mail.get_content()


@pytest.mark.parametrize(
    ("first", "then"),
    [("valider", "valider"), ("valider", "refuser"), ("refuser", "valider")],
    ids=["approved-twice", "approved-then-refused", "refused-then-approved"],
)
def test_a_request_already_decided_gets_a_clear_message(client, as_manager, mailbox, first, then):
    request = request_for(as_manager, at(TUESDAY, 10))
    client.post(f"/gestion/demandes/{request.id}/{first}", data={"reason": "Complet"})
    status = reloaded(request).status

    response = client.post(
        f"/gestion/demandes/{request.id}/{then}", data={"reason": "Complet"}, follow_redirects=True
    )

    assert response.status_code == 200
    assert "Cette demande a déjà été traitée." in page_text(response)
    assert reloaded(request).status == status


def test_a_decision_does_not_wait_for_a_mail_server_that_is_down(
    app, client, as_manager, monkeypatch, mailbox
):
    request = request_for(as_manager, at(TUESDAY, 10))
    smtp_port = app.config["MAIL_PORT"]
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nobody listens there

    response = client.post(f"/gestion/demandes/{request.id}/valider", follow_redirects=True)

    assert response.status_code == 200
    assert "prévenu·e par e-mail" in page_text(response)
    assert reloaded(request).status == "confirmed"
    assert mailbox.messages == []  # the sender tried, the server is down: the mail waits
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp_port)  # the server is back
    # The mail is due again a minute later.
    with app.app_context():
        db.session.execute(sa.update(OutgoingMail).values(due_at=utcnow()))
        db.session.commit()
    assert "confirmée" in mailbox.to("monique@exemple.fr")["Subject"]


def test_the_home_page_tells_the_manager_how_many_requests_wait(client, as_manager):
    request_for(as_manager, at(TUESDAY, 10))
    request_for(as_manager, at(TUESDAY, 14))
    request_for(as_manager, at(TUESDAY, 16), status="confirmed")

    page = page_text(client.get("/"))

    assert "Demandes à valider (2)" in page
    assert 'href="/gestion/fermetures"' in page


# htmx: the row is swapped in place ----------------------------------------------------------


def test_approving_with_htmx_returns_only_the_row(client, as_manager, mailbox):
    request = request_for(as_manager, at(TUESDAY, 10))

    response = client.post(f"/gestion/demandes/{request.id}/valider", headers=HTMX)

    body = page_text(response)
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<tr id="request-{request.id}"')
    assert "<html" not in body and "Valider" not in body
    assert "Confirmée" in body and "Monique Bénévole est prévenu·e par e-mail" in body
    assert "HX-Request" in response.headers["Vary"]
    mailbox.to("monique@exemple.fr")


def test_refusing_with_htmx_and_no_reason_returns_the_row_with_the_error(client, as_manager):
    request = request_for(as_manager, at(TUESDAY, 10))

    response = client.post(f"/gestion/demandes/{request.id}/refuser", headers=HTMX)

    assert response.status_code == 422
    assert response.get_data(as_text=True).lstrip().startswith(f'<tr id="request-{request.id}"')
    assert errors_beside(response, f"reason-{request.id}")
    assert reloaded(request).status == "pending"


def test_an_htmx_decision_on_a_decided_request_shows_the_message_in_the_row(client, as_manager):
    request = request_for(as_manager, at(TUESDAY, 10), status="confirmed")

    response = client.post(
        f"/gestion/demandes/{request.id}/refuser", data={"reason": "x"}, headers=HTMX
    )

    body = page_text(response)
    assert response.status_code == 200 and "<html" not in body
    assert "Cette demande a déjà été traitée." in body and "Confirmée" in body


# Who may ------------------------------------------------------------------------------------


ROUTES = [
    ("get", "/gestion/demandes"),
    ("post", "/gestion/demandes/{booking}/valider"),
    ("post", "/gestion/demandes/{booking}/refuser"),
    ("get", "/gestion/fermetures"),
    ("post", "/gestion/fermetures"),
    ("post", "/gestion/fermetures/{closure}/supprimer"),
]


@pytest.fixture()
def targets(building):
    booking = request_for(building, at(TUESDAY, 10))
    closure = Closure(
        site_id=building.site.id,
        start=at(MAY_DAY, 0),
        end=at(MAY_DAY + timedelta(1), 0),
        reason="Férié",
    )
    db.session.add(closure)
    db.session.commit()
    return {"booking": booking.id, "closure": closure.id}


def call(client, method: str, url: str):
    if method == "post":
        return client.post(url, data={"reason": "Non", **closure_form()})
    return client.get(url)


@pytest.mark.parametrize("who", ["volunteer", "coordinator"])
def test_only_the_manager_may(client, auth, building, targets, who):
    auth.login(getattr(building, who).email)

    for method, path in ROUTES:
        response = call(client, method, path.format(**targets))
        assert response.status_code == 403, (method, path)

    assert reloaded(db.session.get(Booking, targets["booking"])).status == "pending"
    assert db.session.scalar(db.select(db.func.count(Closure.id))) == 1


def test_visitors_are_sent_to_the_login_page(client, targets):
    for method, path in ROUTES:
        response = call(client, method, path.format(**targets))
        assert response.status_code == 302 and "/connexion" in response.location, (method, path)


def test_managers_see_the_links_in_the_menu(client, as_manager, auth, building):
    page = page_text(client.get("/"))
    assert 'href="/gestion/demandes"' in page
    auth.logout()
    auth.login(building.volunteer.email)
    assert "/gestion/" not in page_text(client.get("/"))


# Closures -----------------------------------------------------------------------------------


def closure_form(**fields) -> dict:
    return {"resource_id": "0", "start_date": MAY_DAY.isoformat(), "reason": "Jour férié", **fields}


def test_a_whole_site_closure_refuses_bookings_with_its_reason(client, as_manager):
    b = as_manager

    response = client.post("/gestion/fermetures", data=closure_form())

    assert response.status_code == 302
    closure = db.session.scalar(db.select(Closure))
    assert (closure.resource_id, closure.reason) == (None, "Jour férié")
    assert (closure.start, closure.end) == (at(MAY_DAY, 0), at(MAY_DAY + timedelta(days=1), 0))
    page = page_text(client.get("/gestion/fermetures"))
    assert "Jour férié" in page and "tout le bâtiment" in page and "Le jeu. 01/05" in page

    for room in (b.hall, b.kitchen):
        data = services.BookingData(
            room.id, b.restos.id, at(MAY_DAY, 10), at(MAY_DAY, 11), "Réunion"
        )
        with pytest.raises(services.BookingRefused) as refused:
            services.create_booking(data, b.volunteer, now=NOW)
        assert "Jour férié" in str(refused.value)
        assert refused.value.reasons[0].code == "closure"


def test_a_resource_closure_with_hours_lists_the_bookings_it_hits(client, as_manager):
    b = as_manager
    hit = make_booking(b.hall, b.restos, at(TUESDAY, 9), hours=2, title="Distribution")
    make_booking(b.hall, b.restos, at(TUESDAY, 14), hours=1, title="Après les travaux")
    make_booking(b.kitchen, b.restos, at(TUESDAY, 9), hours=1, title="Autre salle")
    make_booking(b.hall, b.restos, at(TUESDAY, 10), hours=1, title="Annulée", status="cancelled")
    form = closure_form(
        resource_id=str(b.hall.id),
        start_date=TUESDAY.isoformat(),
        start_time="10:00",
        end_time="14:00",
        reason="Travaux",
    )

    response = client.post("/gestion/fermetures", data=form, follow_redirects=True)

    page = page_text(response)
    assert "1 réservation tombe pendant la fermeture" in page
    assert "Le mar. 04/03 de 10:00 à 14:00" in page
    assert "Distribution" in page and f'href="/reservations/{hit.id}"' in page
    assert "Après les travaux" not in page and "Autre salle" not in page and "Annulée" not in page
    closure = db.session.scalar(db.select(Closure))
    assert closure.resource_id == b.hall.id
    assert reloaded(hit).status == "confirmed"  # the manager decides what to do
    kitchen = services.BookingData(b.kitchen.id, b.restos.id, at(TUESDAY, 11), at(TUESDAY, 12), "x")
    assert services.create_booking(kitchen, b.volunteer, now=NOW).status == "pending"


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        (
            {"end_date": (MAY_DAY - timedelta(days=1)).isoformat()},
            "end_date",
            "La fin doit être après le début.",
        ),
        (
            {"start_time": "14:00", "end_time": "10:00"},
            "end_time",
            "La fin doit être après le début.",
        ),
        (
            {"start_time": "10:00", "end_time": "10:00"},
            "end_time",
            "La fin doit être après le début.",
        ),
        (
            {"start_time": "10:00"},
            "end_time",
            "Indiquez les deux heures, ou aucune pour fermer des journées entières.",
        ),
        (
            {"start_date": SPRING_FORWARD.isoformat(), "start_time": "02:30", "end_time": "05:00"},
            "start_time",
            "Le 30/03/2031 à 02:30 n'existe pas : c'est la nuit du passage à l'heure d'été.",
        ),
        ({"reason": " "}, "reason", "Indiquez le motif, par exemple « Jour férié »."),
        ({"start_date": ""}, "start_date", "Indiquez le premier jour de la fermeture."),
    ],
    ids=[
        "end-day-before",
        "end-hour-before",
        "empty",
        "one-hour-only",
        "spring-forward",
        "no-reason",
        "no-day",
    ],
)
def test_an_invalid_closure_is_refused_beside_the_field(
    client, as_manager, fields, field_id, message
):
    response = client.post("/gestion/fermetures", data=closure_form(**fields))

    assert response.status_code == 422
    assert errors_beside(response, field_id) == [message]
    assert db.session.scalar(db.select(db.func.count(Closure.id))) == 0


def test_several_whole_days_end_after_the_last_day(client, as_manager):
    form = closure_form(start_date="2031-07-28", end_date="2031-08-15", reason="Fermeture estivale")

    assert client.post("/gestion/fermetures", data=form).status_code == 302

    closure = db.session.scalar(db.select(Closure))
    assert (closure.start, closure.end) == (at(date(2031, 7, 28), 0), at(date(2031, 8, 16), 0))
    assert "Du lun. 28/07 au ven. 15/08" in page_text(client.get("/gestion/fermetures"))


def test_deleting_a_closure_makes_the_period_bookable_again(client, as_manager):
    b = as_manager
    client.post("/gestion/fermetures", data=closure_form())
    closure = db.session.scalar(db.select(Closure))

    response = client.post(f"/gestion/fermetures/{closure.id}/supprimer", follow_redirects=True)

    assert response.status_code == 200
    assert "La fermeture « Jour férié » est supprimée." in page_text(response)
    assert db.session.scalar(db.select(db.func.count(Closure.id))) == 0
    data = services.BookingData(b.hall.id, b.restos.id, at(MAY_DAY, 10), at(MAY_DAY, 11), "Réunion")
    assert services.create_booking(data, b.volunteer, now=NOW).status == "confirmed"


def test_past_closures_are_not_listed(client, as_manager):
    past = Closure(
        site_id=as_manager.site.id,
        start=datetime(2020, 1, 1, tzinfo=UTC),
        end=datetime(2020, 1, 2, tzinfo=UTC),
        reason="Ancienne fermeture",
    )
    db.session.add(past)
    db.session.commit()

    assert "Ancienne fermeture" not in page_text(client.get("/gestion/fermetures"))
