"""In Chromium, on a 360 px phone: a volunteer finds the time taken, asks to be told, is told
by mail when it frees up, and books it from the mail's link; then the manager posts a notice
that shows on her home page."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from pole.bookings import services
from pole.db import utcnow
from pole.timeutil import local_to_utc, to_local
from tests.factories import make_organisation, make_resource, make_site, make_user
from tests.test_browser_booking import page as page  # noqa: F401 (422 answers are no script error)
from tests.test_browser_closure_flow import log_in, log_out

pytestmark = pytest.mark.browser

PARIS = ZoneInfo("Europe/Paris")


def test_waiting_for_a_taken_time_then_booking_it_from_the_mail(app, page, live_server, mailbox):
    page.set_viewport_size({"width": 360, "height": 740})
    site = make_site()
    restos, epicerie = make_organisation(name="Restos du cœur"), make_organisation(name="Épicerie")
    bob = make_user(restos, name="Bob Restos")
    awa = make_user(epicerie, name="Awa Diallo", email="awa@exemple.fr")
    manager = make_user(name="Nadia Gestion", email="nadia@exemple.fr", is_manager=True)
    hall = make_resource(site, name="Hall d'accueil")
    day = to_local(utcnow(), PARIS).date() + timedelta(days=4)
    start = local_to_utc(day, time(10), PARIS)
    data = services.BookingData(hall.id, restos.id, start, start + timedelta(hours=2), "Collecte")
    taken = services.create_booking(data, bob)

    log_in(page, awa)
    page.goto(f"/reservations/nouvelle?date={day.isoformat()}&start=10:00&end=12:00")
    page.get_by_label("Titre", exact=True).fill("Atelier couture")
    page.get_by_role("button", name="Réserver", exact=True).click()
    expect(page.get_by_text("La réservation n'est pas faite.")).to_be_visible()
    page.get_by_role("button", name="Prévenez-moi si ça se libère").click()
    expect(page.get_by_text("C'est noté")).to_be_visible()
    page.get_by_role("link", name="Mes demandes d'attente").click()
    expect(page.locator(".wish")).to_contain_text("Hall d'accueil")
    expect(page.locator(".wish")).to_contain_text("en attente")
    assert page.evaluate("document.documentElement.scrollWidth <= 360")

    services.cancel_booking(taken.id, bob)  # the mail's link: POLE_BASE_URL, the live server
    link = mailbox.link_to(awa.email)
    page.goto(link)
    expect(page.get_by_label("Titre", exact=True)).to_be_visible()
    page.get_by_label("Titre", exact=True).fill("Atelier couture")
    page.get_by_role("button", name="Réserver", exact=True).click()
    expect(page.get_by_role("heading", name="C'est réservé")).to_be_visible()
    page.goto("/attente")
    expect(page.get_by_text("Vous n'attendez aucun créneau.")).to_be_visible()
    log_out(page)

    log_in(page, manager)
    page.get_by_role("link", name="Annonces aux organisations").click()
    page.get_by_label("Titre", exact=True).fill("Collecte de jouets")
    page.get_by_label("Texte").fill("Déposez les jouets au hall jusqu'à vendredi.")
    page.get_by_label("Affichée jusqu'au").fill((day + timedelta(days=1)).isoformat())
    page.get_by_label("Épicerie").check()
    page.get_by_role("button", name="Publier").click()
    expect(page.get_by_text("Annonce publiée")).to_be_visible()
    log_out(page)

    log_in(page, awa)
    board = page.locator("section.noticeboard")
    expect(board).to_contain_text("Collecte de jouets")
    expect(board).to_contain_text("Déposez les jouets")
    assert page.evaluate("document.documentElement.scrollWidth <= 360")
