"""A permanence in a real Chromium: published, booked from a phone, seen taken, called off."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from pole.db import db
from pole.formatting import WEEKDAYS as WEEKDAYS_FR
from pole.permanences.models import Appointment, Permanence
from pole.permanences.views import slot_key
from pole.timeutil import local_to_utc
from tests.conftest import CHROMIUM  # noqa: F401 (the browser fixture skips without it)
from tests.factories import PASSWORD, make_organisation, make_resource, make_user

pytestmark = pytest.mark.browser

PARIS = ZoneInfo("Europe/Paris")
PHONE = {"width": 360, "height": 740}


def log_in(page, user) -> None:  # noqa: ANN001
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator(".nav-menu:visible, .nav-bar:visible")).to_have_count(1)


@pytest.fixture()
def phones(browser, live_server: str) -> Iterator:  # noqa: ANN001
    """Open phone-sized windows (360×740) on the live server; none may log a script error."""
    contexts, errors = [], []

    def open_phone():  # noqa: ANN202
        context = browser.new_context(
            base_url=live_server, locale="fr-FR", viewport=PHONE, has_touch=True
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        phone = context.new_page()
        phone.on("pageerror", lambda exc: errors.append(str(exc)))
        phone.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        return phone

    yield open_phone
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors in the phones: {errors}"


def test_a_permanence_published_booked_from_a_phone_seen_taken_and_called_off(
    page, phones, mailbox
):
    make_resource(name="Bureau partagé 1")
    ccas = make_organisation(kind="ccas", name="CCAS d'Andrézieux-Bouthéon")
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    epicerie = make_organisation(name="Épicerie solidaire", short_name="Épicerie")
    social_worker = make_user(ccas, is_social_worker=True, name="Claire Social")
    monique = make_user(restos, name="Monique Bénévole")
    karim = make_user(epicerie, name="Karim Bénévole")
    today = datetime.now(PARIS).date()
    day = today + timedelta(days=3)

    # The social worker publishes a weekly afternoon permanence.
    log_in(page, social_worker)
    page.goto("/permanences/publier")
    page.get_by_label("Intitulé").fill("Permanence de l'assistante sociale")
    page.get_by_label("Salle").select_option(label="Bureau partagé 1")
    page.get_by_label(WEEKDAYS_FR[day.weekday()].capitalize(), exact=True).check()
    page.locator("#start_time").fill("14:00")
    page.locator("#end_time").fill("17:00")
    page.get_by_label("Durée d'un créneau").select_option(label="30 min")
    page.locator("#first_day").fill(today.isoformat())
    page.locator("#until").fill((today + timedelta(weeks=6)).isoformat())
    page.get_by_role("button", name="Publier la permanence").click()
    expect(page.locator(".flashes")).to_contain_text("Permanence publiée")
    db.session.rollback()
    permanence = db.session.scalar(sa.select(Permanence))
    key = slot_key(local_to_utc(day, time(14, 30), PARIS))
    slot_id = f"#slot-{permanence.id}-{key}"

    # A volunteer books a slot from her phone: two taps, the slot swaps in place.
    phone = phones()
    log_in(phone, monique)
    phone.goto("/permanences/")
    phone.evaluate("window.stillTheSamePage = true")
    slot = phone.locator(slot_id)
    slot.get_by_role("link").click()
    expect(slot.get_by_text("N'écrivez jamais le nom de la personne")).to_be_visible()
    slot.get_by_label("Objet").select_option(label="Logement")
    slot.get_by_label("Initiales ou n° de dossier").fill("M.D.")
    slot.get_by_role("button", name="Réserver 14:30").click()
    expect(slot).to_contain_text("Réservé · Restos")
    expect(phone.locator("#our-appointments")).to_contain_text("Logement · Restos")
    expect(phone.locator(f"#status-{permanence.id}-{day:%Y%m%d}")).to_contain_text(
        "5 créneaux libres sur 6"
    )
    assert phone.evaluate("window.stillTheSamePage") is True
    db.session.rollback()
    (appointment,) = db.session.scalars(sa.select(Appointment)).all()
    assert (appointment.beneficiary_ref, appointment.purpose) == ("M.D.", "logement")

    # A volunteer of another association sees it taken.
    other = phones()
    log_in(other, karim)
    other.goto("/permanences/")
    expect(other.locator(slot_id)).to_contain_text("Pris")
    expect(other.locator(slot_id).get_by_role("link")).to_have_count(0)
    expect(other.locator(slot_id)).not_to_contain_text("M.D.")

    # The social worker calls the date off.
    page.goto(f"/permanences/{permanence.id}")
    date_row = page.locator(f"#date-{day.isoformat()}")
    date_row.get_by_text("Annuler cette date").click()
    date_row.get_by_label("Motif").fill("Formation")
    date_row.get_by_role("button", name="Annuler la permanence").click()
    expect(page.locator(".flashes")).to_contain_text("Date annulée, salle libérée")
    expect(page.locator(".flashes")).to_contain_text("Restos du cœur")

    # The volunteer sees the notice on her home page, and got a mail.
    phone.goto("/")
    expect(phone.locator(".news")).to_contain_text("annulée par Claire Social")
    expect(phone.locator(".news")).to_contain_text("« Formation »")
    expect(phone.locator(".news")).to_contain_text("Rendez-vous du")
    assert "Formation" in mailbox.to(monique.email).get_content()
