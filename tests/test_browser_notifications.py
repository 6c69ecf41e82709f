"""In Chromium on a 360 px phone: a manager opens "Mes notifications" from the menu, chooses
with the keyboard, saves; the page and the unsubscribe page pass axe-core with 0 violations."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from pole.db import db
from pole.notifications import services
from pole.notifications.tokens import make_unsubscribe_token
from tests.browser import axe_violations, watched_page
from tests.factories import PASSWORD, make_organisation, make_user

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


@pytest.fixture()
def phone(browser, live_server):  # noqa: ANN001, ANN201
    """A phone-sized page."""
    with watched_page(browser, live_server, viewport=PHONE) as page:
        yield page


def assert_fits(page) -> None:  # noqa: ANN001
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways: {width}px"


def test_a_manager_chooses_her_mail_with_the_keyboard_on_a_phone(app, phone):
    restos = make_organisation(name="Restos du cœur")
    nadia = make_user(restos, "coordinator", name="Nadia Gestion", is_manager=True)
    page = phone
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(nadia.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_text("Menu").click()
    page.get_by_role("link", name="Mes notifications").click()

    expect(page.get_by_role("heading", name="Mes notifications")).to_be_visible()
    waiting = page.get_by_role("group", name="Demandes à approuver")
    expect(waiting).to_contain_text("ne peuvent pas être coupés")
    expect(waiting.get_by_role("radio")).to_have_count(2)
    assert_fits(page)
    assert axe_violations(page) == []

    # Keyboard only: the arrow keys move within a group of radio buttons.
    closures = page.get_by_role("group", name="Fermetures")
    closures.get_by_role("radio", name="À chaque fois").focus()
    page.keyboard.press("ArrowDown")
    expect(closures.get_by_role("radio", name="Dans un résumé quotidien, vers 7 h")).to_be_checked()
    page.get_by_role("group", name="Rappel la veille").get_by_role(
        "radio", name="Oui, un e-mail la veille vers 7 h"
    ).check()
    page.get_by_role("button", name="Enregistrer mes choix").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_text("Vos choix de notifications sont enregistrés.")).to_be_visible()
    expect(closures.get_by_role("radio", name="Dans un résumé quotidien, vers 7 h")).to_be_checked()
    assert_fits(page)
    assert axe_violations(page) == []
    db.session.rollback()
    chosen = services.choices_of(nadia.id)
    assert (chosen["closure"], chosen["reminder"], chosen["waiting"]) == ("digest", "each", "each")


def test_the_unsubscribe_page_asks_before_it_acts(app, phone):
    alice = make_user(make_organisation(), name="Alice Restos")
    page = phone
    page.goto(f"/desabonnement/{make_unsubscribe_token(alice.id, ['closure'])}")
    expect(page.get_by_role("heading", name="Se désabonner")).to_be_visible()
    assert_fits(page)
    assert axe_violations(page) == []
    page.get_by_role("button", name="Ne plus recevoir ces e-mails").click()
    expect(page.get_by_role("heading", name="Désabonnement enregistré")).to_be_visible()
    assert axe_violations(page) == []
    db.session.rollback()
    assert services.choices_of(alice.id)["closure"] == "never"
