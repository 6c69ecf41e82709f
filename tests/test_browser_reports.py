"""The report and the public page in a real Chromium: the manager values the rooms, reads the
year's report, downloads the spreadsheet and an attestation; a visitor reads the public page
on a phone. axe-core checks each page."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from pole.db import db, write_transaction
from pole.timeutil import local_to_utc
from tests.browser import axe_violations, nav, watched_page
from tests.factories import make_booking, make_organisation, make_resource, make_user
from tests.test_browser_booking import log_in

pytestmark = pytest.mark.browser

PARIS = ZoneInfo("Europe/Paris")
PHONE = {"width": 360, "height": 740}
DAYTIME = {str(day): [[8 * 60, 20 * 60]] for day in range(7)}


@pytest.fixture()
def page(browser, live_server: str):  # noqa: ANN001, ANN201
    with watched_page(browser, live_server, accept_downloads=True) as page:
        yield page


def last_year() -> int:
    return datetime.now(PARIS).year - 1


def at(day: date, hour: int) -> datetime:
    return local_to_utc(day, time(hour), PARIS)


def test_the_manager_values_the_hall_reads_the_years_report_and_downloads_it(page):
    year = last_year()
    restos = make_organisation(name="Restos du cœur", short_name="Restos", colour="#c53030")
    hall = make_resource(name="Grand hall", opening_hours=DAYTIME)
    make_booking(hall, restos, at(date(year, 3, 2), 9), 3)
    make_booking(hall, restos, at(date(year, 10, 6), 14), 2)
    manager = make_user(is_manager=True, name="Nadia Gestion")

    log_in(page, manager)
    nav(page).get_by_role("link", name="Rapport d'utilisation").click()
    page.get_by_role("link", name="Valeur des salles").click()
    page.get_by_label("Salle ou matériel").select_option(label="Grand hall")
    page.get_by_label("À partir du").fill(f"{year}-01-01")
    page.get_by_label("Valeur d'une heure (€)").fill("25")
    page.get_by_role("button", name="Enregistrer la valeur").click()
    expect(page.get_by_text("La valeur est enregistrée.")).to_be_visible()
    expect(page.locator("td")).to_contain_text(["25\u00a0€/h"])
    assert axe_violations(page) == []

    page.get_by_role("link", name="Rapport d'utilisation").first.click()
    page.get_by_label("Période").select_option(label="Année")
    page.get_by_label("Année", exact=True).fill(str(year))
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("heading", name=f"Rapport d'utilisation année {year}")).to_be_visible()
    expect(page.locator("#org-" + str(restos.id))).to_contain_text("Restos du cœur")
    expect(
        page.get_by_text("Valeur des mises à disposition sur la période : 125\u00a0€")
    ).to_be_visible()
    assert axe_violations(page) == []

    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le tableur (XLSX)").click()
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    rows = [[c.value for c in row] for row in book["Utilisation"].iter_rows()]
    assert ["Restos du cœur", "Grand hall", 5, 5, 2, 0, 0, 0, 125] in rows

    page.get_by_role("link", name=f"Attestation de mise à disposition {year}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Attestation de mise à disposition"
    )
    expect(page.locator(".attestation")).to_contain_text("Restos du cœur")
    expect(page.locator(".attestation tfoot")).to_contain_text("125\u00a0€")
    assert axe_violations(page) == []


def test_the_report_fits_a_phone(page):
    year = last_year()
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    hall = make_resource(name="Grand hall", opening_hours=DAYTIME)
    make_booking(hall, restos, at(date(year, 3, 2), 9), 3)
    page.set_viewport_size(PHONE)
    log_in(page, make_user(restos, role="coordinator"))
    page.goto(f"/rapports/?kind=year&year={year}")
    expect(page.get_by_role("heading", name="Votre association")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways: {width}px"
    assert axe_violations(page) == []


def test_a_visitor_reads_the_public_page_on_a_phone(page):
    hall = make_resource(name="Grand hall", opening_hours=DAYTIME)
    with write_transaction():
        site = db.session.merge(hall.site)
        site.address = "12 rue des Ponts, Andrézieux-Bouthéon"
        site.directions = "Bus ligne 3, arrêt Mairie."
    epicerie = make_organisation(
        name="Épicerie solidaire des 4 ponts",
        colour="#b7791f",
        public_shown=True,
        public_presentation="Une épicerie à petits prix pour les familles du canton.",
        public_offer="Produits frais et d'hygiène à 10 % du prix.",
        public_audience="Familles orientées par un travailleur social.",
        public_hours="Épicerie ouverte mercredi et vendredi 14:00–18:00",
        public_contact="04 77 00 00 00",
    )
    soon = datetime.now(PARIS).date() + timedelta(days=5)
    make_booking(hall, epicerie, at(soon, 15), 2, title="Goûter de Noël", is_public=True)
    make_booking(hall, epicerie, at(soon, 10), 1, title="Réunion du bureau")

    page.set_viewport_size(PHONE)
    page.goto("/le-pole/")
    expect(page.get_by_role("heading", name="Épicerie solidaire des 4 ponts")).to_be_visible()
    expect(page.get_by_text("Épicerie ouverte mercredi et vendredi 14:00–18:00")).to_be_visible()
    expect(page.get_by_text("Goûter de Noël")).to_be_visible()
    expect(page.get_by_text("Réunion du bureau")).to_have_count(0)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways: {width}px"
    assert axe_violations(page) == []

    page.get_by_role("link", name="Fiche à imprimer « qui fait quoi, quand »").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Qui fait quoi, quand")
    assert axe_violations(page) == []
