"""The season's plan in Chromium, on a phone: a coordinator changes then withdraws a request;
the manager writes to the associations of a clash and the coordinator reads it on the page."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from playwright.sync_api import expect

from pole.db import utcnow
from pole.seasons.services import plan
from tests.browser import axe_violations
from tests.factories import make_organisation, make_resource, make_user
from tests.test_browser_booking import log_in
from tests.test_browser_booking import page as page  # noqa: F401 (422 answers are no script error)

pytestmark = pytest.mark.browser


def fits_the_phone(page) -> None:  # noqa: ANN001
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways: {width}px"


def test_a_coordinator_changes_and_withdraws_and_reads_the_managers_message(page):  # noqa: F811
    hall = make_resource(name="Hall d'accueil")
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    epis = make_organisation(name="Les 4 Épis", short_name="Épis")
    manager, coordinator = make_user(is_manager=True), make_user(restos, role="coordinator")
    now = utcnow()
    first = now.date() + timedelta(days=30)
    first += timedelta(days=-first.weekday())  # a Monday
    season = plan.open_season(
        hall.site,
        plan.SeasonData("Saison test", first, first + timedelta(days=90), now + timedelta(days=7)),
        manager,
    )

    def need(organisation, start, end):  # noqa: ANN001, ANN202
        return plan.RequestData(
            organisation.id, hall.id, frozenset({0}), start, end, first, first + timedelta(days=27)
        )

    mine = plan.submit_request(season, need(restos, time(18), time(20)), coordinator)
    spare = plan.submit_request(season, need(restos, time(8), time(9)), coordinator)
    plan.submit_request(season, need(epis, time(19), time(21)), make_user(epis, "coordinator"))

    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, coordinator)
    page.goto(f"/saisons/{season.id}")
    page.locator(f"#request-{mine.id}").get_by_role("link", name="Modifier").click()
    expect(page.get_by_role("heading", name=f"Modifier la demande n° {mine.id}")).to_be_visible()
    page.get_by_label("À", exact=True).fill("17:00")
    page.get_by_role("button", name="Enregistrer la demande").click()
    expect(page.locator(".errors").first).to_contain_text("L'heure de fin doit suivre")
    fits_the_phone(page)
    assert axe_violations(page) == [], "request form with its error"
    page.get_by_label("De", exact=True).fill("18:30")
    page.get_by_label("À", exact=True).fill("20:30")
    page.get_by_role("button", name="Enregistrer la demande").click()
    expect(page.locator("body")).to_contain_text("La demande est modifiée.")
    expect(page.locator(f"#request-{mine.id}")).to_contain_text("de 18:30 à 20:30")
    page.locator(f"#request-{spare.id}").get_by_role("button", name="Retirer").click()
    expect(page.locator(f"#request-{spare.id}")).to_contain_text("Retirée")
    expect(page.locator(f"#request-{spare.id}").get_by_role("button")).to_have_count(0)
    fits_the_phone(page)

    page.context.clear_cookies()
    log_in(page, manager)
    page.goto(f"/saisons/{season.id}/tableau")
    page.locator(f"#board-request-{mine.id}").get_by_role(
        "link", name="Écrire aux associations concernées"
    ).click()
    expect(page.get_by_label("Restos du cœur")).to_be_checked()
    expect(page.get_by_label("Les 4 Épis")).to_be_checked()
    fits_the_phone(page)
    assert axe_violations(page) == [], "message page"
    page.get_by_label("Message").fill("Le lundi soir se chevauche : parlons-en jeudi.")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.locator("body")).to_contain_text("Message envoyé à 2 associations.")

    page.context.clear_cookies()
    log_in(page, coordinator)
    page.goto(f"/saisons/{season.id}")
    expect(page.locator("#messages")).to_contain_text("parlons-en jeudi")
    fits_the_phone(page)
    assert axe_violations(page) == [], "season page with a message"
