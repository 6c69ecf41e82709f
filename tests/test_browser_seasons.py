"""The season's plan in Chromium: a coordinator asks, the manager resolves a clash on the
board and publishes, and the series appear in the association's calendar feed."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from playwright.sync_api import expect

from pole.db import utcnow
from pole.feeds import links as feed_links
from pole.seasons.services import plan
from tests.browser import axe_violations
from tests.factories import make_organisation, make_resource, make_user
from tests.test_browser_booking import log_in
from tests.test_browser_booking import page as page  # noqa: F401 (422 answers are no script error)

pytestmark = pytest.mark.browser


def test_a_season_request_is_resolved_published_and_lands_in_the_feed(page, live_server):  # noqa: F811
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
    other = plan.submit_request(
        season,
        plan.RequestData(
            epis.id, hall.id, frozenset({0}), time(19), time(21), first, first + timedelta(days=27)
        ),
        make_user(epis, role="coordinator"),
    )

    log_in(page, coordinator)
    page.goto(f"/saisons/{season.id}")
    page.get_by_label("Salle ou matériel").select_option(label="Hall d'accueil")
    page.get_by_label("Lundi").check()
    page.get_by_label("De", exact=True).fill("18:00")
    page.get_by_label("À", exact=True).fill("20:00")
    page.get_by_label("Au (inclus)").fill(str(first + timedelta(days=27)))
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.locator("#requests")).to_contain_text("Restos du cœur : Hall d'accueil, lundi")
    expect(page.locator("#requests")).to_contain_text("Demandée")
    assert axe_violations(page) == [], "season page"

    page.context.clear_cookies()
    log_in(page, manager)
    page.goto(f"/saisons/{season.id}/tableau")
    expect(page.locator(f"#board-request-{other.id}")).to_contain_text("Conflit avec")
    assert axe_violations(page) == [], "board"
    page.locator(f"#board-request-{other.id}").get_by_role("link", name="Déplacer").click()
    page.get_by_label("De", exact=True).fill("10:00")
    page.get_by_label("À", exact=True).fill("12:00")
    page.get_by_role("button", name="Enregistrer et accepter").click()
    expect(page.locator(f"#board-request-{other.id}")).to_contain_text("Acceptée")
    expect(page.locator("main")).not_to_contain_text("Conflit avec")
    mine = page.locator("li[id^=board-request-]").filter(has_text="Restos du cœur")
    mine.get_by_role("button", name="Accepter").click()
    expect(mine).to_contain_text("Acceptée")
    page.get_by_role("button", name="Publier la saison").click()
    expect(page.locator("body")).to_contain_text("La saison est publiée")
    assert axe_violations(page) == [], "board, published"

    url = (
        f"{live_server}/calendrier/{feed_links.issue_link('organisation', restos.id, manager)}.ics"
    )
    body = page.request.get(url).text()
    assert body.count("BEGIN:VEVENT") == 4
    assert "Restos du cœur — Saison test" in body.replace("\r\n ", "")


def test_the_board_fits_a_phone(page):  # noqa: F811
    from pole.seasons.demo import load_season

    hall = make_resource(name="Hall d'accueil")
    make_resource(name="Bureau partagé 1", site=hall.site)
    for short in ("Restos", "Épicerie", "Secours pop."):
        make_organisation(name=f"Association {short}", short_name=short)
    season = load_season(hall.site)
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, make_user(is_manager=True))
    page.goto(f"/saisons/{season.id}/tableau")
    expect(page.get_by_role("heading", name="Hall d'accueil")).to_be_visible()
    expect(page.locator("li.clash").first).to_contain_text("Conflit avec")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways: {width}px"
    assert axe_violations(page) == [], "board on a phone"
