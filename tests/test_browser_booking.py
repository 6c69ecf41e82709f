"""Booking in a real Chromium: from the grid, around a taken slot, a series; and on a phone."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from pole.bookings.models import Booking
from pole.db import db
from pole.timeutil import local_to_utc
from tests.browser import watched_page
from tests.factories import PASSWORD, make_booking, make_organisation, make_resource, make_user

pytestmark = pytest.mark.browser

PARIS = ZoneInfo("Europe/Paris")
DAYTIME = {str(day): [[8 * 60, 19 * 60]] for day in range(7)}
_TODAY = datetime.now(PARIS).date()
MONDAY = _TODAY + timedelta(days=21 - _TODAY.weekday())
TUESDAY = MONDAY + timedelta(days=1)


def at(day: date, hhmm: str) -> datetime:
    return local_to_utc(day, time.fromisoformat(hhmm), PARIS)


def ours(organisation_id: int) -> list[Booking]:
    db.session.rollback()  # a fresh look, after the server's commits
    return list(
        db.session.scalars(
            sa.select(Booking)
            .where(Booking.organisation_id == organisation_id)
            .order_by(Booking.start)
        )
    )


@pytest.fixture()
def page(browser, live_server: str):  # noqa: ANN001, ANN201
    """Chromium on the live server; a refused booking answers 422, which is no script error."""
    with watched_page(browser, live_server) as page:
        yield page


@pytest.fixture()
def pole(app):
    restos = make_organisation(name="Restos du cœur", short_name="Restos", colour="#c53030")
    caf = make_organisation(name="CAF de la Loire", short_name="CAF", kind="partner")
    hall = make_resource(name="Hall d'accueil", opening_hours=DAYTIME, granularity_minutes=30)
    office = make_resource(name="Bureau partagé", opening_hours=DAYTIME)
    make_resource(
        name="Tables pliantes",
        kind="equipment",
        quantity=10,
        unit_singular="table",
        unit_plural="tables",
    )  # open day and night: the day grid runs from midnight
    marie = make_user(restos, name="Marie")
    return restos, caf, hall, office, marie


def log_in(page, user) -> None:  # noqa: ANN001
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator(".nav-menu:visible, .nav-bar:visible")).to_have_count(1)


def test_booking_a_free_slot_from_the_week_grid(page, pole):
    restos, _caf, hall, _office, marie = pole
    log_in(page, marie)
    page.goto(f"/salles/{hall.id}/semaine?date={MONDAY}")
    page.locator(f'#week-grid a.slot[href*="date={TUESDAY}&start=10:00"]').click()
    # The form opens in place below the grid, its heading focused, prefilled.
    heading = page.locator("#booking-form-title")
    expect(heading).to_be_focused()
    expect(heading).to_have_text("Réserver : Hall d'accueil")
    expect(page.get_by_label("Début", exact=True)).to_have_value("10:00")
    expect(page.get_by_label("Fin", exact=True)).to_have_value("11:00")
    assert page.url.endswith(f"/salles/{hall.id}/semaine?date={MONDAY}")
    page.get_by_label("Titre", exact=True).fill("Réunion de bureau")
    page.get_by_role("button", name="Réserver", exact=True).click()
    expect(page.locator("#booking-form")).to_contain_text("C'est réservé")
    # The grid refreshed itself: the new booking is there, by name and time.
    expect(page.locator("#week-grid td.booking")).to_contain_text("Réunion de bureau (Restos)")
    expect(page.locator("#week-grid td.booking")).to_contain_text("10:00–11:00")
    (booking,) = ours(restos.id)
    assert (booking.start, booking.end) == (at(TUESDAY, "10:00"), at(TUESDAY, "11:00"))


def test_a_taken_slot_shows_why_and_a_suggestion_books_in_one_tap(page, pole):
    restos, caf, hall, _office, marie = pole
    make_booking(hall, caf, at(TUESDAY, "10:00"), 2, title="Permanence")
    log_in(page, marie)
    page.goto(f"/agenda?date={TUESDAY}")
    page.locator(f'a.slot[href*="resource_id={hall.id}&date={TUESDAY}&start=09:00"]').click()
    expect(page.locator("#booking-form-title")).to_be_focused()
    page.get_by_label("Titre", exact=True).fill("Atelier")
    page.get_by_label("Début", exact=True).fill("10:30")
    page.get_by_label("Fin", exact=True).fill("11:30")
    page.get_by_role("button", name="Réserver", exact=True).click()
    errors = page.locator("#start-errors")
    expect(errors).to_have_text(re.compile("Ce créneau est déjà pris : Réservé — CAF de la Loire"))
    expect(page.locator("#booking-form-errors")).to_be_focused()
    page.get_by_role("button", name="Réserver de 12:00 à 13:00").click()
    expect(page.locator("#booking-form")).to_contain_text("C'est réservé")
    expect(page.locator("#day-grid")).to_contain_text("Atelier (Restos)")
    (booking,) = ours(restos.id)
    assert (booking.start, booking.end) == (at(TUESDAY, "12:00"), at(TUESDAY, "13:00"))


def test_a_weekly_series_skips_its_one_conflicting_date_then_one_date_is_cancelled(page, pole):
    restos, caf, hall, _office, marie = pole
    taken = MONDAY + timedelta(days=14)
    make_booking(hall, caf, at(taken, "15:00"), 1, title="Forum")
    log_in(page, marie)
    page.goto(f"/reservations/nouvelle?resource_id={hall.id}&date={MONDAY}&start=14:00&end=16:00")
    page.get_by_label("Titre", exact=True).fill("Atelier estime de soi")
    page.get_by_text("Répéter cette réservation").first.click()  # opens the section
    page.get_by_role("checkbox", name="Répéter cette réservation").check()
    page.get_by_label("Nombre de fois", exact=True).fill("4")
    page.get_by_role("button", name="Réserver", exact=True).click()
    preview = page.locator("#booking-form")
    expect(preview).to_contain_text("chaque lundi, 14:00–16:00, 4 fois")
    expect(preview).to_contain_text("4 dates, dont 1 impossible")
    expect(preview.locator("li.conflict")).to_have_count(1)
    assert ours(restos.id) == []  # nothing is saved before confirming
    preview.locator("li.conflict").get_by_label("Ignorer cette date").check()
    page.get_by_role("button", name="Réserver ces dates").click()
    expect(page.locator("#booking-form")).to_contain_text("C'est réservé : 3 dates")
    assert [b.start for b in ours(restos.id)] == [
        at(MONDAY + timedelta(days=d), "14:00") for d in (0, 7, 21)
    ]
    # Cancel the second date only, from "Nos réservations".
    page.goto("/reservations")
    series = page.locator("li.series-line").first
    series.get_by_text("Voir les 3 dates").click()
    second = series.locator("li.series-date").nth(1)
    second.get_by_text("Annuler…").click()
    second.get_by_role("button", name="Cette date", exact=True).click()
    expect(page.locator(".flashes")).to_contain_text("Réservation annulée.")
    statuses = [b.status for b in ours(restos.id)]
    assert statuses == ["confirmed", "cancelled", "confirmed"]


def test_the_day_grid_shows_the_building_from_opening_time_first(page, pole):
    *_, marie = pole
    page.set_viewport_size({"width": 1280, "height": 720})
    log_in(page, marie)
    page.goto(f"/agenda?date={TUESDAY}")
    # The building opens at 08:00: that is what shows first, not midnight.
    assert page.locator(".agenda-scroll").evaluate("b => b.scrollTop") > 0


def test_the_week_grid_fits_a_phone_and_scrolls_inside_its_own_box(page, pole):
    # (On a phone the day view is a list per resource: tests/test_browser_views.py.)
    *_, hall, _office, marie = pole
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, marie)
    page.goto(f"/salles/{hall.id}/semaine?date={TUESDAY}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways: {width}px"
    box = page.locator(".agenda-scroll")
    assert box.evaluate("b => b.scrollWidth > b.clientWidth")  # the grid scrolls, not the page
    # Free cells are big enough to tap, and the time column stays in view.
    slot = page.locator("a.slot").first.bounding_box()
    assert slot["height"] >= 44
    time_cell = page.locator("th.time").first
    before = time_cell.bounding_box()["x"]
    box.evaluate("b => { b.scrollLeft = 300; }")
    assert time_cell.bounding_box()["x"] == before
