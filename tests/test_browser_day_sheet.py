"""The day sheet in a real Chromium on a phone: cancel asks first, redraws the count, undoes."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from pole.db import db, utcnow
from pole.permanences import services
from pole.permanences.models import Appointment
from pole.permanences.views import slot_key
from pole.timeutil import local_to_utc
from tests.factories import PASSWORD, make_organisation, make_permanence, make_user

pytestmark = pytest.mark.browser

PARIS = ZoneInfo("Europe/Paris")


def test_cancelling_on_the_day_sheet_asks_first_updates_the_count_and_can_be_undone(
    page, app, mailbox
):
    today = datetime.now(PARIS).date()
    day = today + timedelta(days=3)  # the permanence is held on that weekday
    restos = make_organisation(name="Restos du cœur", email="bureau@restos.exemple.fr")
    ccas = make_organisation(kind="ccas", name="CCAS")
    social_worker = make_user(ccas, is_social_worker=True, name="Claire Social")
    monique = make_user(restos, name="Monique Bénévole")
    permanence = make_permanence(
        social_worker,
        now=utcnow(),
        weekdays=frozenset({day.weekday()}),
        until=today + timedelta(days=20),
    )
    start = local_to_utc(day, time(14, 30), PARIS)
    data = services.AppointmentData(restos.id, "logement", note="", beneficiary_ref="M.D.")
    appointment = services.book_slot(permanence.id, start, data, monique, utcnow())

    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(social_worker.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator(".nav-menu:visible, .nav-bar:visible")).to_have_count(1)
    page.goto(f"/permanences/{permanence.id}/jour/{day.isoformat()}")
    meta = page.locator(".sheet-meta")
    expect(meta).to_contain_text("1 rendez-vous sur 6 créneaux")
    row = page.locator(f"#row-{slot_key(start)}")
    expect(row.get_by_role("button", name="Absent")).to_have_count(0)  # not started yet

    row.get_by_role("link", name="Annuler…").click()
    expect(row).to_contain_text("Annuler le rendez-vous de 14:30 (Restos du cœur) ?")
    row.get_by_role("button", name="Oui, annuler").click()

    expect(meta).to_contain_text("0 rendez-vous sur 6 créneaux")
    expect(row).to_contain_text("L'association est prévenue par e-mail.")
    assert "a annulé le rendez-vous" in mailbox.to("bureau@restos.exemple.fr").get_content()
    row.get_by_role("button", name="Rétablir").click()

    expect(meta).to_contain_text("1 rendez-vous sur 6 créneaux")
    expect(row).to_contain_text("Rendez-vous rétabli.")
    db.session.rollback()
    assert db.session.get(Appointment, appointment.id).status == "booked"
