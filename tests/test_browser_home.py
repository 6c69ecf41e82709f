"""In Chromium, on a 360×740 phone and a 1280×800 desktop: the home page as today-and-next,
the main tasks counted in interactions, axe-core on every new page, the navigation."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from pole import demo
from pole.bookings.models import Booking
from pole.db import db, utcnow
from pole.feeds import cache as feed_cache
from pole.resources.models import Resource
from pole.timeutil import to_local
from tests.browser import axe_violations
from tests.factories import PASSWORD, make_organisation, make_user

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
SIZES = {"phone": PHONE, "desktop": DESKTOP}


class Counted:
    """A page whose clicks, fills and choices are counted: the interactions a person makes."""

    def __init__(self, page) -> None:  # noqa: ANN001
        self.page = page
        self.count = 0

    def click(self, locator) -> None:  # noqa: ANN001
        self.count += 1
        locator.click()

    def select(self, locator, label: str) -> None:  # noqa: ANN001
        self.count += 1
        locator.select_option(label=label)


@pytest.fixture()
def building(app):
    """The demo building (with its weekly permanence) and a volunteer of one association only."""
    feed_cache.clear_cache()
    demo.load(PASSWORD)
    # An association of its own: the demo's appointments use up other ones' fair share.
    restos = make_organisation(name="Amis du pôle", short_name="Amis")
    solange = make_user(restos, name="Solange Bénévole", email="solange@exemple.fr")
    hall = db.session.scalar(db.select(Resource).where(Resource.name == "Hall d'accueil"))
    # The demo's Thursday permanence always has a date within the coming seven days.
    return restos, solange, hall


@pytest.fixture()
def sized(browser, live_server: str) -> Iterator:  # noqa: ANN001
    """Open a window of a given size on the live server; none may log a script error."""
    contexts, errors = [], []

    def open_window(size: dict):  # noqa: ANN202
        context = browser.new_context(
            base_url=live_server, locale="fr-FR", viewport=size, has_touch=size is PHONE
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        window = context.new_page()
        window.on("pageerror", lambda exc: errors.append(str(exc)))
        window.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        return window

    yield open_window
    for context in contexts:
        context.close()
    # A refused form answers 422 on purpose; Chromium notes any 4xx fetch in the console.
    errors = [e for e in errors if "status of 422" not in e]
    assert not errors, f"JavaScript errors: {errors}"


def log_in(page, email: str) -> None:  # noqa: ANN001
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour")


def test_book_a_permanence_slot_from_home_in_at_most_4_interactions(sized, building):
    restos, solange, hall = building
    phone = sized(PHONE)
    log_in(phone, solange.email)
    person = Counted(phone)

    slots = phone.locator("section[aria-labelledby=slots-title]")
    person.click(slots.get_by_role("link").first)
    person.select(phone.get_by_label("Objet"), "Logement")
    person.click(phone.get_by_role("button", name="Réserver"))

    expect(phone.locator(".slots")).to_contain_text("Réservé · Amis")
    assert person.count <= 4


def test_reach_the_association_calendar_link_from_home_in_at_most_3_interactions(sized, building):
    restos, solange, hall = building
    phone = sized(PHONE)
    log_in(phone, solange.email)
    person = Counted(phone)

    person.click(phone.get_by_role("link", name="Mettre l'agenda de l'association"))
    person.click(phone.get_by_role("button", name="Obtenir mon lien"))

    section = phone.locator(f"#feed-member-{restos.id}")
    link = section.get_by_label("Lien secret de l'agenda").input_value()
    assert "/calendrier/" in link and link.endswith(".ics")
    expect(
        section.get_by_role("img", name="Code QR du lien de l'agenda Amis du pôle")
    ).to_be_visible()
    expect(section.get_by_role("link", name="ouvrir dans mon agenda")).to_be_visible()
    expect(section.get_by_role("heading", level=2)).to_be_focused()
    assert person.count <= 3


@pytest.mark.parametrize("size", SIZES, ids=list(SIZES))
def test_the_new_pages_have_no_axe_violations(sized, building, size):
    restos, solange, hall = building
    window = sized(SIZES[size])
    log_in(window, solange.email)
    assert axe_violations(window) == [], "home"
    width = window.evaluate("document.documentElement.scrollWidth")
    assert width <= SIZES[size]["width"], f"the home page scrolls sideways: {width}px"

    window.goto("/reservations")
    assert axe_violations(window) == [], "Nos réservations"
    window.goto("/reservations?quand=passees&moi=y")
    assert axe_violations(window) == [], "Nos réservations, filtered"

    window.goto("/agendas")
    window.get_by_role("button", name="Obtenir mon lien").click()
    expect(
        window.get_by_role("img", name="Code QR du lien de l'agenda Amis du pôle")
    ).to_be_visible()
    assert axe_violations(window) == [], "Mes agendas with a fresh link"

    # A refused booking: the reasons and the way out come first, and take the focus.
    taken = db.session.scalar(
        db.select(Booking)
        .where(Booking.resource_id == hall.id, Booking.status == "confirmed")
        .where(Booking.start > utcnow() + timedelta(days=1))
        .order_by(Booking.start)
        .limit(1)
    )  # the demo's distribution in the hall
    start = to_local(taken.start, hall.site.tz)
    end = start + timedelta(hours=1)
    window.goto(
        f"/reservations/nouvelle?resource_id={hall.id}&date={start.date()}"
        f"&start={start:%H:%M}&end={end:%H:%M}"
    )
    window.get_by_label("Titre", exact=True).fill("Réunion")
    window.get_by_role("button", name="Réserver", exact=True).click()
    heading = window.locator("#booking-form-errors")
    expect(heading).to_be_focused()
    expect(heading).to_be_in_viewport()
    refusal = window.locator("#booking-refusal")
    first_suggestion = refusal.locator("button.suggestion").first
    expect(first_suggestion).to_be_visible()
    box, form = refusal.bounding_box(), window.locator("#booking-post").bounding_box()
    assert box["y"] < form["y"], "the way out is above the form"
    assert axe_violations(window) == [], "refused booking form"


def test_the_desktop_shows_its_navigation_and_the_phone_menu_closes_with_escape(sized, building):
    restos, solange, hall = building
    desktop = sized(DESKTOP)
    log_in(desktop, solange.email)
    nav = desktop.get_by_role("navigation", name="Navigation principale")
    expect(nav).to_be_visible()
    expect(nav.get_by_role("link", name="Nos réservations")).to_be_visible()
    expect(desktop.get_by_text("Menu", exact=True)).to_be_hidden()

    phone = sized(PHONE)
    log_in(phone, solange.email)
    menu = phone.locator("details.nav-menu")
    phone.get_by_text("Menu", exact=True).click()
    expect(menu).to_have_attribute("open", "")
    phone.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")
    expect(menu.locator("summary")).to_be_focused()


def test_focus_lands_on_the_slot_after_opening_it_in_place(sized, building):
    restos, solange, hall = building
    phone = sized(PHONE)
    log_in(phone, solange.email)
    phone.goto("/permanences/")
    slot = phone.locator("li.slot-free").first
    slot_id = slot.get_attribute("id")
    slot.get_by_role("link").click()
    opened = phone.locator(f"#{slot_id}")
    expect(opened.locator("form")).to_be_visible()
    expect(opened.locator(".slot-title")).to_be_focused()


@pytest.mark.skipif(not os.environ.get("POLE_SCREENSHOTS"), reason="POLE_SCREENSHOTS=1 to take")
@pytest.mark.parametrize("size", SIZES, ids=list(SIZES))
def test_screenshots_of_the_new_home(sized, building, size):
    """Refresh docs/screenshots/home-*.png (run with POLE_SCREENSHOTS=1)."""
    window = sized(SIZES[size])
    log_in(window, f"benevole@{demo.DOMAIN}")
    path = ROOT / "docs" / "screenshots" / f"home-{SIZES[size]['width']}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    window.screenshot(path=str(path), full_page=True)
