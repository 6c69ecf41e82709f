"""The day on a phone, the month, the search, paper and the door, in a real Chromium.

Interactions are counted (a tap, a typed field, a key press each count one), axe-core checks
every page at 360x740 and 1280x800, and the week prints whole on A4 landscape.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from pole.bookings.models import Booking
from pole.db import db
from pole.timeutil import local_to_utc
from tests.browser import axe_violations, watched_page
from tests.factories import PASSWORD, make_booking, make_organisation, make_resource, make_user

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "docs" / "screenshots"
PARIS = ZoneInfo("Europe/Paris")
DAYTIME = {str(day): [[8 * 60, 20 * 60]] for day in range(7)}
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


def _today() -> date:
    return datetime.now(PARIS).date()


def next_weekday(weekday: int) -> date:
    """The next such weekday after today (a week ahead if it is today)."""
    return _today() + timedelta(days=(weekday - _today().weekday() - 1) % 7 + 1)


def at(day: date, hhmm: str) -> datetime:
    return local_to_utc(day, time.fromisoformat(hhmm), PARIS)


class Counter:
    """Drives the page and counts what a person does: taps, typed fields, keys."""

    def __init__(self, page) -> None:  # noqa: ANN001
        self.page, self.count = page, 0

    def tap(self, locator) -> None:  # noqa: ANN001
        self.count += 1
        locator.click()

    def fill(self, locator, value: str) -> None:  # noqa: ANN001
        self.count += 1
        locator.fill(value)

    def choose(self, locator, value: str) -> None:  # noqa: ANN001
        self.count += 1
        locator.select_option(value)


@pytest.fixture()
def page(browser, live_server: str):  # noqa: ANN001, ANN201
    with watched_page(browser, live_server) as page:
        yield page


def shoot(page, name: str) -> None:  # noqa: ANN001
    """Screenshots for the docs, when asked: POLE_SCREENSHOTS=1."""
    if os.environ.get("POLE_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture()
def pole(app):
    restos = make_organisation(name="Restos du cœur", short_name="Restos", colour="#c53030")
    secours = make_organisation(name="Secours populaire", short_name="SPF", colour="#1d6b3a")
    hall = make_resource(
        name="Hall d'accueil", capacity=40, opening_hours=DAYTIME, granularity_minutes=30
    )
    room = make_resource(name="Salle de réunion", capacity=14, opening_hours=DAYTIME)
    office = make_resource(name="Bureau partagé", capacity=4, opening_hours=DAYTIME)
    make_resource(
        name="Tables pliantes",
        kind="equipment",
        quantity=10,
        unit_singular="table",
        unit_plural="tables",
        opening_hours=DAYTIME,
    )
    marie = make_user(restos, name="Marie")
    manager = make_user(name="Gestion", is_manager=True)
    return restos, secours, hall, room, office, marie, manager


def log_in(page, user) -> None:  # noqa: ANN001
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator(".nav-menu:visible, .nav-bar:visible")).to_have_count(1)


def no_sideways_scroll(page) -> None:  # noqa: ANN001
    # A tap's click returns once the navigation commits: measure the page once it and its
    # style sheets have loaded, not a half-parsed document laid out without them.
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page scrolls sideways: {width}px"


def test_booking_the_hall_next_tuesday_afternoon_from_home_on_a_phone_in_six(page, pole):
    restos, _secours, _hall, *_rest, marie, _manager = pole
    tuesday = next_weekday(1)  # the hall is empty that day: its window is 08:00–20:00
    page.set_viewport_size(PHONE)
    log_in(page, marie)
    page.goto("/")
    you = Counter(page)
    you.tap(page.get_by_role("link", name=re.compile("agenda du jour")))
    no_sideways_scroll(page)
    strip = page.locator(".week-strip")  # this week and the next: next Tuesday is in it
    you.tap(strip.get_by_role("link", name=re.compile(f"^Mardi {tuesday.day} ")))
    expect(page.locator("#day-grid-title")).to_contain_text(f"{tuesday.day}")
    no_sideways_scroll(page)
    starts = page.get_by_role("list", name="Heures de début, libre 08:00–20:00, Hall d'accueil")
    you.tap(starts.get_by_role("link", name="Commencer à 14:00, Hall d'accueil"))
    expect(page.get_by_label("Début", exact=True)).to_have_value("14:00")
    expect(page.get_by_label("Fin", exact=True)).to_have_value("15:00")
    you.fill(page.get_by_label("Fin", exact=True), "16:00")
    you.fill(page.get_by_label("Titre", exact=True), "Goûter de Noël")
    you.tap(page.get_by_role("button", name="Réserver", exact=True))
    expect(page.get_by_role("heading", name="C'est réservé")).to_be_visible()
    assert you.count <= 6, you.count
    db.session.rollback()
    (booking,) = db.session.scalars(
        sa.select(Booking).where(Booking.organisation_id == restos.id)
    ).all()
    assert (booking.start, booking.end) == (at(tuesday, "14:00"), at(tuesday, "16:00"))


def test_a_free_windows_start_times_are_a_named_list_on_a_phone_and_absent_on_a_desktop(page, pole):
    _restos, secours, hall, *_rest, marie, _manager = pole
    tuesday = next_weekday(1)
    make_booking(hall, secours, at(tuesday, "08:30"), 5.5, title="Distribution")
    page.set_viewport_size(PHONE)
    log_in(page, marie)
    page.goto(f"/agenda?date={tuesday}")
    starts = page.get_by_role("list", name="Heures de début, libre 14:00–20:00, Hall d'accueil")
    expect(starts.get_by_role("link")).to_have_text(
        ["14:00", "15:00", "16:00", "17:00", "18:00", "19:00"]
    )
    no_sideways_scroll(page)
    starts.get_by_role("link", name="Commencer à 19:00, Hall d'accueil").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Début", exact=True)).to_have_value("19:00")
    expect(page.get_by_label("Fin", exact=True)).to_have_value("20:00")
    page.set_viewport_size(DESKTOP)
    page.goto(f"/agenda?date={tuesday}")
    expect(page.locator(".dl-starts").first).to_be_hidden()


def test_finding_a_room_for_12_next_thursday_afternoon_on_a_phone_in_five(page, pole):
    _restos, secours, hall, room, *_rest, marie, _manager = pole
    thursday = next_weekday(3)
    make_booking(hall, secours, at(thursday, "12:00"), 5, title="Atelier")
    page.set_viewport_size(PHONE)
    log_in(page, marie)
    page.goto("/agenda")
    you = Counter(page)
    you.tap(page.get_by_role("link", name="Trouver un créneau"))
    you.fill(page.get_by_label("Le", exact=True), thursday.isoformat())
    you.choose(page.get_by_label("Moment"), "apres-midi")
    you.fill(page.get_by_label("Nombre de personnes (facultatif)"), "12")
    you.tap(page.get_by_role("button", name="Chercher"))
    answers = page.locator(".find-list li")
    expect(answers).to_have_count(2)
    expect(answers.first).to_contain_text("Salle de réunion")  # free from 12:00, the hall at 17
    expect(answers.nth(1)).to_contain_text("Hall d'accueil libre 17:00–18:00")
    assert you.count <= 5, you.count
    no_sideways_scroll(page)
    shoot(page, "search-phone")
    answers.first.get_by_role("link").click()
    expect(page.get_by_label("Début", exact=True)).to_have_value("12:00")


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["360x740", "1280x800"])
def test_the_new_pages_have_no_axe_violations(page, pole, size):
    restos, secours, hall, room, *_rest, marie, manager = pole
    day = next_weekday(1)
    make_booking(hall, secours, at(day, "09:00"), 2, title="Distribution")
    make_booking(room, restos, at(day, "14:00"), 1, title="Réunion", status="pending")
    page.set_viewport_size(size)
    log_in(page, manager)
    page.goto(f"/salles/{hall.id}/porte")
    page.get_by_role("button", name="Faire un lien d’affichage").click()
    door = page.locator("#door-url").input_value()
    assert axe_violations(page) == []
    page.context.clear_cookies()
    log_in(page, marie)
    name = "phone" if size is PHONE else "desktop"
    for url in (
        f"/agenda?date={day}",
        f"/agenda/mois?mois={day:%Y-%m}",
        f"/salles/{hall.id}/mois?mois={day:%Y-%m}",
        f"/salles/{hall.id}/semaine?date={day}",
        f"/agenda/trouver?date={day}&moment=journee&duration=60&people=10",
        "/agenda/trouver?date=&people=0",
    ):
        page.goto(url)
        no_sideways_scroll(page)
        assert axe_violations(page) == [], url
        if url.startswith("/agenda?"):
            shoot(page, f"day-{name}")
        if url.startswith("/agenda/mois"):
            shoot(page, f"month-{name}")
    page.goto(door)
    expect(page.locator("h1")).to_have_text("Hall d'accueil")
    no_sideways_scroll(page)
    assert axe_violations(page) == []
    shoot(page, f"door-{name}")


def test_the_desktop_grid_is_one_tab_stop_and_arrow_keys_move_between_cells(page, pole):
    *_rest, hall, _room, _office, marie, _manager = pole
    day = next_weekday(2)
    page.set_viewport_size(DESKTOP)
    log_in(page, marie)
    page.goto(f"/salles/{hall.id}/semaine?date={day}")
    grid = page.locator("#week-grid table.agenda-grid")
    expect(grid.locator("tbody a[tabindex='0']")).to_have_count(1)
    first = grid.locator("tbody a[tabindex='0']")
    # Quieter: a free cell's time shows only under the pointer or the focus.
    label = first.locator(".slot-text")
    assert label.evaluate("e => getComputedStyle(e).opacity") == "0"
    first.focus()
    assert label.evaluate("e => getComputedStyle(e).opacity") == "1"
    start = first.get_attribute("href")
    page.keyboard.press("ArrowDown")
    below = page.evaluate("document.activeElement.getAttribute('href')")
    assert "start=08:30" in below and "start=08:00" in start
    page.keyboard.press("ArrowRight")
    right = page.evaluate("document.activeElement.getAttribute('href')")
    assert "start=08:30" in right and right != below
    expect(grid.locator("tbody a[tabindex='0']")).to_have_count(1)
    # Tab leaves the grid at once: the next stop is after the table.
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('table.agenda-grid tbody')") is False


def test_the_week_of_the_hall_prints_whole_on_a4_landscape(page, pole):
    _restos, secours, hall, *_rest, marie, _manager = pole
    day = next_weekday(0)
    make_booking(hall, secours, at(day, "18:00"), 2, title="Soirée jeux")
    log_in(page, marie)
    # A4 landscape at 96 dpi, less the 8 mm margins: 1062 x 733 CSS pixels.
    page.set_viewport_size({"width": 1062, "height": 733})
    page.goto(f"/salles/{hall.id}/semaine?date={day}")
    page.emulate_media(media="print")
    rows = page.locator("#week-grid th.time")
    times = rows.all_inner_texts()
    assert times[0] == "08:00" and times[-1] == "19:30", times
    for row in rows.all():
        expect(row).to_be_visible()
    heads = page.locator("#week-grid thead th.col-head")
    expect(heads).to_have_count(7)
    for head in heads.all():
        box = head.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1062 + 1
    last_row = rows.last.bounding_box()
    assert last_row["y"] + last_row["height"] <= 733, "the week runs onto a second page"
    no_sideways_scroll(page)
    for hidden in (".agenda-nav", ".site-header", ".agenda-legend", ".week-strip"):
        assert page.locator(hidden).evaluate_all("els => els.every(e => !e.offsetParent)")
    assert page.locator("a.slot").first.evaluate("e => getComputedStyle(e).visibility") == (
        "hidden"
    )
    expect(page.locator("#week-grid td.booking")).to_contain_text("Réservé — Secours populaire")
    # And the PDF Chromium prints is one page.
    pdf = page.pdf(format="A4", landscape=True, prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
    # The day prints as its grid too, every resource a column, never the phone's list.
    page.goto(f"/agenda?date={day}")
    expect(page.locator(".day-list")).to_be_hidden()
    heads = page.locator("#day-grid thead th.col-head")
    expect(heads).to_have_count(4)
    for head in heads.all():
        box = head.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1062 + 1
    times = page.locator("#day-grid th.time")
    assert times.first.inner_text() == "08:00" and times.last.inner_text() == "19:30"
    assert times.last.bounding_box()["y"] + times.last.bounding_box()["height"] <= 733
    no_sideways_scroll(page)
    pdf = page.pdf(format="A4", landscape=True, prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
