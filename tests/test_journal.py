"""History on a booking's page, the journal, the home page's notices and the closure answer,
through the screens, on both databases. Days are chosen from today (the screens use the clock)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from pole.bookings import services as bookings
from pole.bookings.models import Booking
from pole.db import db, utcnow
from pole.events.record import record
from pole.events.services import PAGE_SIZE
from pole.resources.models import Closure
from pole.timeutil import local_to_utc
from tests.factories import (
    database_snapshot,
    errors_beside,
    make_organisation,
    make_resource,
    make_site,
    make_user,
    page_text,
)

PARIS = ZoneInfo("Europe/Paris")
HTMX = {"HX-Request": "true"}


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return local_to_utc(day, time(hh, mm), PARIS)


@pytest.fixture()
def b(app):
    """A hall open every day; the Restos (Awa, and Bob who coordinates) and the Épicerie."""
    site = make_site()
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    epicerie = make_organisation(name="Épicerie solidaire", short_name="Épicerie")
    day = datetime.now(PARIS).date() + timedelta(days=10)
    return SimpleNamespace(
        site=site,
        restos=restos,
        epicerie=epicerie,
        hall=make_resource(site, name="Hall d'accueil"),
        awa=make_user(restos, name="Awa Diallo"),
        bob=make_user(restos, role="coordinator", name="Bob Martin"),
        chloe=make_user(epicerie, role="coordinator", name="Chloé Petit"),
        manager=make_user(name="Nadia Gestion", is_manager=True),
        day=day,
    )


def book(b, user, org, hh: int, title: str = "Distribution") -> Booking:
    data = bookings.BookingData(b.hall.id, org.id, at(b.day, hh), at(b.day, hh + 1), title)
    return bookings.create_booking(data, user)


# History -------------------------------------------------------------------------------------


def test_a_bookings_page_tells_its_history_to_its_association(client, login_as, b):
    booking = book(b, b.awa, b.restos, 10)
    bookings.edit_booking(
        booking.id, bookings.BookingChanges(start=at(b.day, 14), end=at(b.day, 15)), b.manager
    )
    bookings.cancel_booking(booking.id, b.bob)
    login_as(b.awa)
    page = page_text(client.get(f"/reservations/{booking.id}"))
    assert "Historique" in page
    history = re.findall(r"<li>([^<]*)</li>", page.split("Historique")[1])
    assert "Réservée par Awa Diallo le" in history[0]
    assert (
        "Déplacée du" in history[1]
        and "10:00 au" in history[1]
        and "par Nadia Gestion" in history[1]
    )
    assert "Annulée par Bob Martin" in history[2]

    login_as(b.chloe)  # another association sees the booking, not who did what
    assert "Historique" not in page_text(client.get(f"/reservations/{booking.id}"))


# Journal -------------------------------------------------------------------------------------


def test_the_manager_reads_the_whole_building_and_a_coordinator_only_her_association(
    client, login_as, b
):
    book(b, b.awa, b.restos, 10, "Distribution")
    book(b, b.chloe, b.epicerie, 14, "Collecte")
    login_as(b.manager)
    page = page_text(client.get("/journal"))
    assert "« Distribution »" in page and "« Collecte »" in page
    login_as(b.chloe)
    page = page_text(client.get("/journal"))
    assert "« Collecte »" in page and "« Distribution »" not in page
    login_as(b.awa)  # a plain volunteer
    assert client.get("/journal").status_code == 403


def test_the_journal_filters_by_organisation_person_resource_and_days(client, login_as, b):
    book(b, b.awa, b.restos, 10, "Distribution")
    book(b, b.bob, b.restos, 12, "Réunion")
    book(b, b.chloe, b.epicerie, 14, "Collecte")
    login_as(b.manager)

    def shown(**args) -> set[str]:
        page = page_text(client.get("/journal", query_string=args))
        return {t for t in ("Distribution", "Réunion", "Collecte") if f"« {t} »" in page}

    today = datetime.now(PARIS).date()
    assert shown(organisation_id=b.epicerie.id) == {"Collecte"}
    assert shown(actor_id=b.bob.id) == {"Réunion"}
    assert shown(resource_id=b.hall.id) == {"Distribution", "Réunion", "Collecte"}
    assert shown(since=today.isoformat(), until=today.isoformat()) == {
        "Distribution", "Réunion", "Collecte"
    }  # fmt: skip
    yesterday = (today - timedelta(days=1)).isoformat()
    assert shown(since=yesterday, until=yesterday) == set()


@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        ({"since": "2026-12-10", "until": "2026-12-01"}, "until", "La fin vient avant le début."),
        ({"since": "2026-01-01", "until": "2027-06-01"}, "until", "Choisissez au plus 366 jours."),
        ({"since": "2026-13-45"}, "since", "Indiquez une date comme 14/03/2026."),
        ({"since": "1999-12-31"}, "since", "Choisissez une date entre 2000 et 2099."),
        ({"page": "0"}, "page", "Page inconnue."),
        ({"page": "x"}, "page", "N'est pas un entier valide."),
        (
            {"organisation_id": "abc"},
            "organisation_id",
            "Choix non valide, ne peut pas être converti.",
        ),
        ({"organisation_id": "999999"}, "organisation_id", "N'est pas un choix valide."),
    ],
    ids=["backwards", "too-long", "no-date", "before-2000", "page-0", "page-x", "org-x", "org-?"],
)
def test_bad_filters_come_back_422_with_the_error_beside_the_field(
    client, login_as, b, args, field, message
):
    login_as(b.manager)
    response = client.get("/journal", query_string=args)
    assert response.status_code == 422
    assert errors_beside(response, field) == [message]


def test_the_journal_shows_fifty_events_a_page(client, login_as, b):
    now = utcnow()
    for i in range(PAGE_SIZE + 5):
        when = now - timedelta(minutes=i)
        record("feed_link.created", actor=b.bob, now=when, organisation=b.restos,
               after={"feed": "organisation"}, feed_link=i + 1)  # fmt: skip
    db.session.commit()
    login_as(b.manager)
    first = page_text(client.get("/journal"))
    assert first.count("Lien d'agenda créé") == PAGE_SIZE and "Page suivante" in first
    second = page_text(client.get("/journal?page=2"))
    assert second.count("Lien d'agenda créé") == 5 and "Page précédente" in second
    assert "Page suivante" not in second


# Notices -------------------------------------------------------------------------------------


def visit_home(client) -> str:  # noqa: ANN001
    """Open the home page as a browser does: its script then stamps the visit (a POST)."""
    page = page_text(client.get("/"))
    shown_at = re.search(r'name="shown_at" value="([^"]+)"', page)[1]
    assert (
        client.post("/nouvelles/vues", data={"shown_at": shown_at}, headers=HTMX).status_code == 204
    )
    return page


def test_what_others_changed_shows_on_the_home_page_until_seen(client, login_as, b):
    login_as(b.awa)
    visit_home(client)  # her visit: notices start from here
    booking = book(b, b.awa, b.restos, 10)
    book(b, b.chloe, b.epicerie, 14, "Collecte")  # another association's: not her news
    bookings.cancel_booking(booking.id, b.bob)

    page = visit_home(client)
    assert "Depuis votre dernière visite" in page
    assert "« Distribution » (Hall d'accueil," in page and "annulée par Bob Martin" in page
    assert "Réservée par Awa" not in page and "réservée par Awa" not in page  # her own doing
    assert "Collecte" not in page
    assert "Depuis votre dernière visite" not in visit_home(client)


def test_showing_the_home_page_changes_nothing_and_a_bad_stamp_is_refused(client, login_as, b):
    booking = book(b, b.bob, b.restos, 10)
    bookings.cancel_booking(booking.id, b.manager)
    login_as(b.awa)
    before = database_snapshot()
    assert "Depuis votre dernière visite" in page_text(client.get("/"))
    assert database_snapshot() == before
    later = (utcnow() + timedelta(hours=1)).isoformat()
    for shown_at in ("hier", "2026-12-02T10:00:00", later, "2000-01-01T00:00:00+00:00"):
        response = client.post("/nouvelles/vues", data={"shown_at": shown_at})
        assert response.status_code == 422
    assert database_snapshot() == before
    # Without JavaScript, "Marquer comme lu" sends the same form and comes back home.
    shown_at = re.search(r'name="shown_at" value="([^"]+)"', page_text(client.get("/")))[1]
    response = client.post("/nouvelles/vues", data={"shown_at": shown_at})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert "Depuis votre dernière visite" not in page_text(client.get("/"))


# The closure answer --------------------------------------------------------------------------


def closure_over(b, login_as, client) -> Closure:
    login_as(b.manager)
    response = client.post(
        "/gestion/fermetures",
        data={"resource_id": "0", "start_date": b.day.isoformat(), "reason": "Dégât des eaux"},
    )
    assert response.status_code == 302
    return db.session.scalar(db.select(Closure))


def test_the_manager_cancels_the_bookings_a_closure_hits_and_the_associations_are_told(
    client, login_as, b
):
    first, second = book(b, b.awa, b.restos, 10), book(b, b.chloe, b.epicerie, 14, "Collecte")
    closure = closure_over(b, login_as, client)
    page = page_text(client.get("/gestion/fermetures"))
    assert "Que faire de ces 2 réservations ?" in page

    response = client.post(
        f"/gestion/fermetures/{closure.id}/reservations",
        data={"decision": "cancel", f"closure-{closure.id}-message": "Fuite d'eau, désolés"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert {db.session.get(Booking, i).status for i in (first.id, second.id)} == {"cancelled"}
    assert "Que faire" not in page_text(client.get("/gestion/fermetures"))

    login_as(b.awa)
    page = page_text(client.get("/"))
    assert "annulée par Nadia Gestion" in page and "« Fuite d'eau, désolés »" in page


def test_kept_bookings_stay_and_are_marked_kept(client, login_as, b):
    booking = book(b, b.awa, b.restos, 10)
    closure = closure_over(b, login_as, client)
    client.post(f"/gestion/fermetures/{closure.id}/reservations", data={"decision": "keep"})
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "confirmed"
    page = page_text(client.get("/gestion/fermetures"))
    assert "Maintenue" in page and "Que faire" not in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"decision": "cancel", "message": "x" * 301}, "300 caractères au plus."),
        ({"message": "Fermé"}, "Choisissez : annuler ou maintenir."),
    ],
    ids=["too-long", "no-decision"],
)
def test_a_bad_answer_comes_back_422_beside_the_message(client, login_as, b, data, message):
    booking = book(b, b.awa, b.restos, 10)
    closure = closure_over(b, login_as, client)
    field = f"closure-{closure.id}-message"
    data = {field if key == "message" else key: value for key, value in data.items()}
    response = client.post(f"/gestion/fermetures/{closure.id}/reservations", data=data)
    assert response.status_code == 422
    assert errors_beside(response, field) == [message]
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "confirmed"


def test_only_the_manager_answers_and_an_unknown_closure_is_404(client, login_as, b):
    closure = closure_over(b, login_as, client)
    login_as(b.bob)
    url = f"/gestion/fermetures/{closure.id}/reservations"
    assert client.post(url, data={"decision": "cancel"}).status_code == 403
    login_as(b.manager)
    assert client.post("/gestion/fermetures/999999/reservations").status_code == 404


def test_a_coordinator_hears_of_a_newcomer_in_her_association(client, login_as, b):
    from pole.auth import services as auth
    from tests.factories import make_invitation

    invitation = make_invitation(b.restos, email="nouvelle@exemple.fr")
    auth.accept_invitation(invitation, "Inès Nouvelle", "un-mot-de-passe-long")
    login_as(b.bob)
    page = page_text(client.get("/"))
    assert "Inès Nouvelle rejoint l'organisation (bénévole)" in page
    login_as(b.chloe)
    assert "Inès Nouvelle" not in page_text(client.get("/"))
