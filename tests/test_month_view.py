"""The month of the building and of one resource: how busy each day is, each day a link."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from pole.bookings.rules.month import fill_level, month_weeks, open_and_booked
from pole.timeutil import local_to_utc
from tests.factories import make_booking, make_organisation, make_resource, make_site

PARIS = ZoneInfo("Europe/Paris")
H = 60
WEEKDAYS_8_TO_18 = {str(day): [[8 * H, 18 * H]] for day in range(5)}


def _today() -> date:
    return datetime.now(PARIS).date()


def at(day: date, hhmm: str) -> datetime:
    return local_to_utc(day, time.fromisoformat(hhmm), PARIS)


# A month two months ahead: every day of it is in the future.
_AHEAD = (_today().replace(day=1) + timedelta(days=62)).replace(day=1)
FIRST_TUESDAY = _AHEAD + timedelta(days=(1 - _AHEAD.weekday()) % 7)
FIRST_SATURDAY = _AHEAD + timedelta(days=(5 - _AHEAD.weekday()) % 7)


def test_a_month_is_weeks_from_monday_with_the_days_around_it_left_out():
    weeks = month_weeks(2027, 3)  # 1 March 2027 is a Monday
    assert weeks[0][0] == date(2027, 3, 1)
    assert weeks[-1][2] == date(2027, 3, 31) and weeks[-1][3] is None
    assert all(len(week) == 7 for week in weeks)


@pytest.mark.parametrize(
    ("opened", "booked", "level"),
    [
        pytest.param(0, 0, None, id="closed"),
        pytest.param(600, 0, 0, id="free"),
        pytest.param(600, 60, 1, id="a-little"),
        pytest.param(600, 300, 3, id="half-is-more-than-half-empty"),
        pytest.param(600, 299, 2, id="just-under-half"),
        pytest.param(600, 600, 4, id="full"),
    ],
)
def test_fill_level(opened, booked, level):
    assert fill_level(opened, booked) == level


def test_open_and_booked_counts_buffers_and_leaves_closures_out():
    opened, booked = open_and_booked(
        [(8 * H, 18 * H)], [(10 * H, 12 * H + 30, 1)], [(16 * H, 18 * H, "Travaux")]
    )
    assert (opened, booked) == (8 * H, 2 * H + 30)


@pytest.fixture()
def pole(app):
    site = make_site(name="Pôle Les 4 Épis")
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    hall = make_resource(site, name="Hall d'accueil", opening_hours=WEEKDAYS_8_TO_18)
    office = make_resource(site, name="Bureau partagé", opening_hours=WEEKDAYS_8_TO_18)
    return restos, hall, office


def day_cell(page: str, day: date) -> str:
    match = re.search(rf'<a href="/agenda\?date={day}">(.*?)</a>', page, re.S)
    assert match, day
    return html.unescape(re.sub(r"<[^>]+>", " ", match[1]))


def test_the_buildings_month_says_hours_booked_per_day_and_opens_each_day(client, pole):
    restos, hall, office = pole
    make_booking(hall, restos, at(FIRST_TUESDAY, "10:00"), 3)
    make_booking(office, restos, at(FIRST_TUESDAY, "14:00"), 1)
    response = client.get(f"/agenda/mois?mois={_AHEAD:%Y-%m}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    tuesday = day_cell(page, FIRST_TUESDAY)
    assert "2 réservations, 4 h occupées" in tuesday and " 4 h " in tuesday
    assert "fermé" in day_cell(page, FIRST_SATURDAY)
    assert "libre" in day_cell(page, FIRST_TUESDAY + timedelta(days=1))


def test_a_resources_month_counts_only_that_resource(client, pole):
    restos, hall, office = pole
    make_booking(hall, restos, at(FIRST_TUESDAY, "10:00"), 3)
    make_booking(office, restos, at(FIRST_TUESDAY, "14:00"), 1)
    page = client.get(f"/salles/{office.id}/mois?mois={_AHEAD:%Y-%m}").get_data(as_text=True)
    assert "1 réservation, 1 h occupées" in day_cell(page, FIRST_TUESDAY)


@pytest.mark.parametrize("asked", ["2027-13", "demain", "1999-12"])
def test_a_month_that_is_no_month_says_so_and_shows_this_one(client, pole, asked):
    response = client.get(f"/agenda/mois?mois={asked}")
    assert response.status_code == 400
    assert "mois" in html.unescape(response.get_data(as_text=True)).lower()


def test_prev_and_next_month_links(client, pole):
    page = client.get("/agenda/mois?mois=2027-01").get_data(as_text=True)
    assert "/agenda/mois?mois=2026-12" in page and "/agenda/mois?mois=2027-02" in page
