"""In Chromium, on a 360 px phone, with the keyboard alone: a volunteer hides a notice she has
read, hears what happened (the focused status), then puts it back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from pole.db import utcnow
from pole.notices import services
from tests.browser import axe_violations
from tests.factories import make_organisation, make_user
from tests.test_browser_closure_flow import log_in

pytestmark = pytest.mark.browser


def test_a_volunteer_hides_a_notice_with_the_keyboard_then_puts_it_back(app, page):
    page.set_viewport_size({"width": 360, "height": 740})
    restos = make_organisation(name="Restos du cœur")
    awa = make_user(restos, name="Awa Diallo", email="awa@exemple.fr")
    manager = make_user(name="Nadia Gestion", is_manager=True)
    until = services.today(utcnow()) + timedelta(days=2)
    for title in ("Collecte de jouets", "Réunion des bénévoles"):
        data = services.NoticeData(title, f"Texte : {title}", until, True, frozenset())
        services.post(data, manager)

    log_in(page, awa)
    board = page.locator("#noticeboard")
    expect(board).to_contain_text("Collecte de jouets")
    hide = page.get_by_role("button", name="Masquer l'annonce « Collecte de jouets »")
    hide.focus()
    page.keyboard.press("Enter")

    said = page.get_by_role("status").filter(has_text="masquée")
    expect(said).to_have_text("Annonce « Collecte de jouets » masquée de votre page d'accueil.")
    expect(said).to_be_focused()
    expect(board).not_to_contain_text("Texte : Collecte de jouets")
    expect(board).to_contain_text("Texte : Réunion des bénévoles")
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth <= 360")

    page.get_by_role("button", name="Réafficher les annonces masquées").focus()
    page.keyboard.press("Enter")
    back = page.get_by_role("status").filter(has_text="de nouveau affichée")
    expect(back).to_have_text("1 annonce de nouveau affichée sur votre page d'accueil.")
    expect(back).to_be_focused()
    expect(board).to_contain_text("Texte : Collecte de jouets")

    page.reload()  # stored in the database, not in the page
    expect(board).to_contain_text("Texte : Collecte de jouets")
