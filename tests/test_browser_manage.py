"""In Chromium: the manager approves a volunteer's kitchen request from the queue."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from pole.bookings import services
from pole.bookings.models import Booking
from pole.db import db, utcnow
from pole.timeutil import local_to_utc, to_local
from tests.factories import (
    PASSWORD,
    make_organisation,
    make_resource,
    make_site,
    make_user,
)

pytestmark = pytest.mark.browser

PARIS = ZoneInfo("Europe/Paris")


def test_the_manager_approves_a_pending_kitchen_booking(app, page, mailbox):
    site = make_site()
    restos = make_organisation(name="Restos du cœur")
    volunteer = make_user(restos, name="Monique Bénévole", email="monique@exemple.fr")
    manager = make_user(name="Nadia Gestion", email="nadia@exemple.fr", is_manager=True)
    kitchen = make_resource(site, name="Cuisine équipée", requires_approval=True)
    day = to_local(utcnow(), PARIS).date() + timedelta(days=7)  # the kitchen opens every day
    start = local_to_utc(day, time(10, 0), PARIS)
    data = services.BookingData(
        kitchen.id, restos.id, start, start + timedelta(hours=2), "Atelier cuisine"
    )
    booking = services.create_booking(data, volunteer)
    assert booking.status == "pending"

    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(manager.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("link", name="Demandes à valider (1)")).to_be_visible()
    page.get_by_role("link", name="Demandes à valider (1)").click()

    row = page.locator(f"#request-{booking.id}")
    expect(row).to_contain_text("Atelier cuisine")
    expect(row).to_contain_text("Monique Bénévole")
    row.get_by_role("button", name="Valider").click()

    # htmx swapped the row in place: its own message, no page load.
    expect(row).to_contain_text("Confirmée")
    expect(row).to_contain_text("Monique Bénévole est prévenu·e par e-mail.")
    expect(row.get_by_role("button", name="Valider")).to_have_count(0)
    assert page.url.endswith("/gestion/demandes")
    mail = mailbox.to("monique@exemple.fr")
    assert mail["Subject"] == "Réservation confirmée : Cuisine équipée"
    # create_booking commits without expiring what it loaded, so the session still holds
    # the booking as it was then: drop that copy and read what the server committed.
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "confirmed"
