"""Sites in a real Chromium: the manager adds a building from the sites page, a volunteer
switches the day view to another building with the picker, on a phone, with the keyboard;
the 4 Épis alone see no picker. axe-core checks each page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from pole.db import db
from pole.sites import services as sites
from tests.browser import axe_violations, nav, watched_page
from tests.factories import make_organisation, make_resource, make_site, make_user
from tests.test_browser_booking import log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


@pytest.fixture()
def page(browser, live_server: str):  # noqa: ANN001, ANN201
    with watched_page(browser, live_server) as page:
        yield page


@pytest.fixture()
def phone(browser, live_server: str):  # noqa: ANN001, ANN201
    with watched_page(browser, live_server, viewport=PHONE) as page:
        yield page


def two_sites():  # noqa: ANN201
    epis, centre = make_site(name="Les 4 Épis"), make_site(name="Centre de jour")
    make_resource(epis, name="Hall d'accueil")
    make_resource(centre, name="Salle d'atelier")
    return epis, centre


def test_the_manager_adds_a_site_from_the_sites_page(page):
    two_sites()
    manager = make_user(name="Nadia Gestion", is_manager=True)

    log_in(page, manager)
    nav(page).get_by_role("link", name="Sites").click()
    expect(page.get_by_role("heading", name="Sites", exact=True)).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_role("link", name="Ajouter un site").click()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Indiquez le nom.")).to_be_visible()
    expect(page.get_by_label("Nom")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(page) == []
    page.get_by_label("Nom").fill("Local de la gare")
    page.get_by_label("Adresse").fill("2 place de la Gare")
    page.get_by_role("button", name="Enregistrer").click()

    expect(page.get_by_text("Le site est ajouté.")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Local de la gare")).to_be_visible()
    db.session.rollback()  # read what the server committed, not this session's old snapshot
    assert [s.name for s in sites.all_sites()][-1] == "Local de la gare"


def test_a_volunteer_switches_building_with_the_picker_on_a_phone(phone):
    _epis, centre = two_sites()
    volunteer = make_user(make_organisation(name="Restos du cœur"), name="Monique Bénévole")

    log_in(phone, volunteer)
    phone.goto("/agenda")
    expect(phone.locator("main")).to_contain_text("Hall d'accueil")
    assert axe_violations(phone) == []

    # With the keyboard only: the select, the next option, the button.
    picker = phone.get_by_label("Site affiché")
    picker.focus()
    picker.select_option(label="Centre de jour")
    phone.keyboard.press("Tab")
    expect(phone.get_by_role("button", name="Changer de site")).to_be_focused()
    phone.keyboard.press("Enter")

    expect(phone).to_have_url(re.compile(r"/agenda$"))
    expect(phone.locator("main")).to_contain_text("Salle d'atelier")
    expect(phone.locator("main")).not_to_contain_text("Hall d'accueil")
    expect(phone.get_by_label("Site affiché")).to_have_value(str(centre.id))
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    assert axe_violations(phone) == []


def test_the_4_epis_alone_see_no_picker(page):
    make_resource(make_site(name="Les 4 Épis"), name="Hall d'accueil")
    volunteer = make_user(make_organisation(name="Restos du cœur"))

    log_in(page, volunteer)
    page.goto("/agenda")

    expect(page.locator("main")).to_contain_text("Hall d'accueil")
    expect(page.locator(".site-picker")).to_have_count(0)
    expect(page.get_by_label("Site affiché")).to_have_count(0)
