"""In Chromium: a coordinator makes the association's calendar link, copies it, and it works."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from playwright.sync_api import expect

from pole.bookings import services
from pole.db import db, utcnow
from pole.feeds import cache as feed_cache
from pole.timeutil import local_to_utc, to_local
from tests.factories import PASSWORD, make_organisation, make_resource, make_site, make_user
from tests.test_ical import read_with_icalendar, read_with_vobject

pytestmark = pytest.mark.browser

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture()
def association(app):
    feed_cache.clear_cache()
    site = make_site()
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    coordinator = make_user(restos, role="coordinator", email="bernard@exemple.fr")
    hall = make_resource(site, name="Hall d'accueil")
    day = to_local(utcnow(), PARIS).date() + timedelta(days=5)  # the hall opens every day
    start = local_to_utc(day, time(8, 30), PARIS)
    data = services.BookingData(
        hall.id, restos.id, start, start + timedelta(hours=3), "Distribution de Noël, goûter"
    )
    booking = services.create_booking(data, coordinator)
    return restos, coordinator, booking


def log_in(page, email: str) -> None:  # noqa: ANN001
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_the_coordinator_copies_the_association_link_and_finds_the_booking(
    page, live_server, association
):
    restos, coordinator, booking = association
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    log_in(page, coordinator.email)
    # At 1280 px the navigation is a bar of links: no "Menu" button to open first.
    page.get_by_role("link", name="Mes agendas").click()
    section = page.locator(f"#feed-organisation-{restos.id}")
    expect(section).to_contain_text("Pas encore de lien")
    section.get_by_role("button", name="Créer le lien").click()

    # htmx swapped the list in place; the link is shown this once, with its copy button.
    expect(section).to_contain_text("Copiez ce lien maintenant")
    field = section.get_by_label("Lien secret de l'agenda")
    link = field.input_value()
    assert link.startswith(f"{live_server}/calendrier/") and link.endswith(".ics")
    webcal = section.get_by_role("link", name="ouvrir dans mon agenda")
    assert webcal.get_attribute("href") == "webcal://" + link.removeprefix("http://")
    section.get_by_role("button", name="Copier le lien").click()
    expect(section.get_by_role("status").last).to_have_text("Lien copié.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == link

    response = requests.get(copied, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    for read in (read_with_icalendar(response.content), read_with_vobject(response.content)):
        (event,) = read
        assert event.summary == "Distribution de Noël, goûter"
        assert (event.start, event.end) == (booking.start, booking.end)
        assert event.status == "CONFIRMED"

    page.reload()
    expect(section).to_contain_text("Un lien secret existe depuis le")
    expect(section.get_by_label("Lien secret de l'agenda")).to_have_count(0)
    db.session.rollback()  # leave the snapshot taken before the server wrote


def test_without_javascript_the_link_is_shown_and_selectable(browser, live_server, association):
    restos, coordinator, _ = association
    context = browser.new_context(base_url=live_server, locale="fr-FR", java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, coordinator.email)
        page.goto("/agendas")
        section = page.locator(f"#feed-organisation-{restos.id}")
        section.get_by_role("button", name="Créer le lien").click()
        field = page.locator(f"#feed-organisation-{restos.id}").get_by_label(
            "Lien secret de l'agenda"
        )
        expect(field).to_be_visible()
        assert "/calendrier/" in field.input_value()
        # The copy button needs JavaScript: without it, it stays out of the way.
        expect(page.get_by_role("button", name="Copier le lien")).to_have_count(0)
        assert requests.get(field.input_value(), timeout=10).status_code == 200
    finally:
        context.close()
    db.session.rollback()
