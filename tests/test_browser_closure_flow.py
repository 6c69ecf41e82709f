"""In Chromium: the manager closes a day with two bookings, cancels them with a message, and
the association's volunteer finds it on her home page and in her mail (the SMTP capture)."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from playwright.sync_api import expect

from pole.bookings import services
from pole.db import utcnow
from pole.timeutil import local_to_utc, to_local
from tests.browser import nav
from tests.factories import PASSWORD, make_organisation, make_resource, make_site, make_user

pytestmark = pytest.mark.browser

PARIS = ZoneInfo("Europe/Paris")


def log_in(page, user) -> None:  # noqa: ANN001
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name=f"Bonjour {user.name}")).to_be_visible()


def log_out(page) -> None:  # noqa: ANN001
    nav(page).get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_text("Vous êtes déconnecté·e.")).to_be_visible()


def test_a_closure_cancels_two_bookings_and_the_volunteer_is_told(app, page, mailbox):
    site = make_site()
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    awa = make_user(restos, name="Awa Diallo", email="awa@exemple.fr")
    manager = make_user(name="Nadia Gestion", email="nadia@exemple.fr", is_manager=True)
    hall = make_resource(site, name="Hall d'accueil")  # open every day
    day = to_local(utcnow(), PARIS).date() + timedelta(days=9)
    for hh, title in ((9, "Distribution"), (14, "Atelier budget")):
        start = local_to_utc(day, time(hh), PARIS)
        data = services.BookingData(hall.id, restos.id, start, start + timedelta(hours=2), title)
        services.create_booking(data, awa)
    with page.expect_response("**/nouvelles/vues") as stamped:
        log_in(page, awa)  # her last visit, stamped once shown: what follows is news to her
    assert stamped.value.status == 204
    log_out(page)

    log_in(page, manager)
    page.get_by_role("link", name="Fermetures du bâtiment et des salles").click()
    page.get_by_label("Premier jour").fill(day.isoformat())
    page.get_by_label("Motif").fill("Dégât des eaux")
    page.get_by_role("button", name="Enregistrer la fermeture").click()
    expect(page.get_by_text("2 réservations tombent pendant la fermeture")).to_be_visible()
    answer = page.get_by_role("group", name="Que faire de ces 2 réservations ?")
    answer.get_by_label("Message aux associations").fill(
        "Fuite d'eau : rendez-vous la semaine prochaine."
    )
    answer.get_by_role("button", name="Les annuler").click()
    expect(page.get_by_text("2 réservations annulées.")).to_be_visible()
    log_out(page)

    # One mail for the association's two bookings, with the message and a calendar CANCEL.
    closure_mails = [
        m for m in mailbox.messages if m["To"] == awa.email and m["Subject"].startswith("Fermeture")
    ]
    assert [m["Subject"] for m in closure_mails] == [
        "Fermeture : réservations annulées (Restos du cœur)"
    ]
    body = closure_mails[0].get_content()
    assert "Fuite d'eau : rendez-vous la semaine prochaine." in body
    assert "Distribution" in body and "Atelier budget" in body
    [ics] = [p for p in closure_mails[0].walk() if p.get_content_type() == "text/calendar"]
    assert str(icalendar.Calendar.from_ical(ics.get_content())["METHOD"]) == "CANCEL"

    with page.expect_response("**/nouvelles/vues") as stamped:
        log_in(page, awa)
    assert stamped.value.status == 204
    news = page.locator("section[aria-labelledby=news-title]")
    expect(news.get_by_role("listitem")).to_have_count(3)
    expect(news).to_contain_text("Fermeture « Dégât des eaux »")
    expect(news).to_contain_text("« Distribution » (Hall d'accueil,")
    expect(news).to_contain_text("« Atelier budget »")
    expect(news).to_contain_text("annulée par Nadia Gestion")
    expect(news).to_contain_text("« Fuite d'eau : rendez-vous la semaine prochaine. »")
    page.reload()  # seen: the next visit starts from here
    expect(page.get_by_role("heading", name="Bonjour Awa Diallo")).to_be_visible()
    expect(news).to_have_count(0)
