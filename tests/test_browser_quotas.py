"""Quotas in Chromium: the manager sets one, a volunteer sees what is left and is held to it."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from pole.timeutil import local_to_utc
from tests.browser import axe_violations
from tests.factories import make_booking, make_organisation, make_resource, make_user
from tests.test_browser_booking import DAYTIME, log_in, ours
from tests.test_browser_booking import page as page  # noqa: F401 (422 answers are no script error)

pytestmark = pytest.mark.browser

PARIS = ZoneInfo("Europe/Paris")
_TODAY = datetime.now(PARIS).date()
MONDAY = _TODAY + timedelta(days=21 - _TODAY.weekday())


def test_the_manager_sets_a_monthly_hall_quota_and_a_volunteer_is_held_to_it(page):  # noqa: F811
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    hall = make_resource(name="Hall d'accueil", opening_hours=DAYTIME, capacity=80)
    make_booking(hall, restos, local_to_utc(MONDAY, time(8), PARIS), hours=4)
    manager, marie = make_user(is_manager=True), make_user(restos, name="Marie")

    log_in(page, manager)
    page.goto("/quotas")
    page.get_by_role("link", name="Nouveau quota").click()
    expect(page.get_by_label("Au plus", exact=True)).to_be_visible()
    assert axe_violations(page) == [], "new quota form"
    page.get_by_label("Pour", exact=True).select_option(label="Chaque association")
    page.get_by_label("Sur", exact=True).select_option(label="Hall d'accueil")
    page.get_by_label("Par mois").check()
    page.get_by_label("Heures").check()
    page.get_by_label("Au plus", exact=True).fill("6")
    page.get_by_role("button", name="Enregistrer le quota").click()
    expect(page.locator("ul.quotas")).to_contain_text("Chaque association — Hall d'accueil")
    expect(page.locator("ul.quotas")).to_contain_text("6 h par mois")
    assert axe_violations(page) == [], "quotas page"

    page.context.clear_cookies()
    log_in(page, marie)
    page.goto(f"/reservations/nouvelle?resource_id={hall.id}&date={MONDAY}&start=14:00&end=17:00")
    expect(page.locator("#quota-standings")).to_contain_text("Restos du cœur : 4 h sur 6 h")
    page.get_by_label("Titre", exact=True).fill("Collecte")
    page.get_by_role("button", name="Réserver", exact=True).click()
    expect(page.locator("#start-errors")).to_contain_text(
        "cette réservation de 3 h dépasserait le quota"
    )
    expect(page.locator("#booking-form-errors")).to_be_focused()
    assert len(ours(restos.id)) == 1
    # Another month: the line follows the date, before anything is sent.
    page.get_by_label("Date", exact=True).fill(str(MONDAY + timedelta(days=45)))
    page.get_by_label("Date", exact=True).blur()
    expect(page.locator("#quota-standings")).to_contain_text("Restos du cœur : 0 h sur 6 h")
    page.get_by_label("Date", exact=True).fill(str(MONDAY))
    page.get_by_label("Date", exact=True).blur()
    expect(page.locator("#quota-standings")).to_contain_text("Restos du cœur : 4 h sur 6 h")

    page.get_by_label("Fin", exact=True).fill("16:00")
    page.get_by_role("button", name="Réserver", exact=True).click()
    expect(page.locator("#booking-form")).to_contain_text("C'est réservé")
    assert len(ours(restos.id)) == 2


def test_the_sharing_page_fits_a_phone(page):  # noqa: F811
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    hall = make_resource(name="Hall d'accueil", opening_hours=DAYTIME)
    make_booking(hall, restos, local_to_utc(MONDAY, time(8), PARIS), hours=4)
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, make_user(restos, role="coordinator"))
    page.goto(f"/partage?month={MONDAY:%Y-%m}")
    expect(page.get_by_role("heading", name="Hall d'accueil")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways: {width}px"
    assert axe_violations(page) == [], "Partage page"
