"""In Chromium: a coordinator invites a volunteer, who follows the e-mailed link and joins."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from pole.auth.services import find_user_by_email
from pole.db import db
from tests.factories import PASSWORD, make_organisation, make_user

pytestmark = pytest.mark.browser

NEW_PASSWORD = "une phrase de passe neuve"


def log_in(page, email: str, password: str) -> None:  # noqa: ANN001
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()


def log_out(page) -> None:  # noqa: ANN001
    # At 1280 px the navigation is a bar of links: no "Menu" button to open first.
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_text("Vous êtes déconnecté·e.")).to_be_visible()


def test_a_coordinator_invites_a_volunteer_who_joins_by_the_mailed_link(app, page, mailbox):
    restos = make_organisation(name="Restos du cœur")
    make_user(restos, "coordinator", name="Bernard Coordination", email="bernard@exemple.fr")

    log_in(page, "bernard@exemple.fr", PASSWORD)
    page.get_by_role("link", name="Restos du cœur", exact=True).click()
    page.get_by_label("Adresse e-mail de la personne").fill("nina@exemple.fr")
    page.get_by_label("Son nom (facultatif)").fill("Nina Nouvelle")
    expect(page.get_by_role("radio", name="Bénévole")).to_be_checked()
    page.get_by_role("button", name="Envoyer l'invitation").click()
    expect(page.get_by_text("Invitation envoyée à nina@exemple.fr.")).to_be_visible()
    expect(page.get_by_role("button", name="Annuler l'invitation")).to_be_visible()
    log_out(page)

    link = mailbox.link_to("nina@exemple.fr")
    page.goto(link)
    expect(page.get_by_role("heading", name="Rejoindre Restos du cœur")).to_be_visible()
    expect(page.get_by_label("Votre nom")).to_have_value("Nina Nouvelle")
    page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Créer mon accès").click()
    expect(page.get_by_text("Bienvenue dans Restos du cœur !")).to_be_visible()
    log_out(page)

    log_in(page, "nina@exemple.fr", NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Bonjour Nina Nouvelle")).to_be_visible()
    expect(page.get_by_role("link", name="Restos du cœur", exact=True)).to_be_visible()

    db.session.rollback()  # see what the server committed
    nina = find_user_by_email("nina@exemple.fr")
    assert [(m.organisation.name, m.role) for m in nina.memberships] == [
        ("Restos du cœur", "volunteer")
    ]
