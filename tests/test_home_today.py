"""The home page says what matters today and what comes next, for each role."""

from __future__ import annotations

import re
from datetime import time, timedelta

from pole.bookings.models import LONGEST_BOOKING
from pole.db import utcnow
from pole.timeutil import local_to_utc, to_local
from tests.factories import (
    make_booking,
    make_organisation,
    make_permanence,
    make_resource,
    make_site,
    make_user,
    page_text,
)


def section(page: str, title_id: str) -> str:
    """The text of one panel of the home page, tags removed."""
    found = re.search(rf'aria-labelledby="{title_id}">(.*?)</section>', page, re.DOTALL)
    assert found is not None, f"no section {title_id}"
    return " ".join(re.sub(r"<[^>]+>", " ", found[1]).split())


def building():
    site = make_site()
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    secours = make_organisation(name="Secours populaire", short_name="SPF")
    hall = make_resource(site, name="Hall d'accueil", position=1)
    kitchen = make_resource(site, name="Cuisine équipée", position=2)
    return site, restos, secours, hall, kitchen


def today_at(site, hour: int, minute: int = 0, days: int = 0):  # noqa: ANN001, ANN201
    """That wall-clock time today (or `days` later) in the site's zone: a day is not always
    24 hours (the clock changes)."""
    day = to_local(utcnow(), site.tz).date() + timedelta(days=days)
    return local_to_utc(day, time(hour, minute), site.tz)


def test_a_volunteer_sees_her_associations_next_bookings_and_a_link_to_all(app, client, login_as):
    site, restos, secours, hall, kitchen = building()
    marie = make_user(restos)
    soon = utcnow() + timedelta(days=2)
    for n in range(7):
        make_booking(hall, restos, soon + timedelta(days=n), title=f"Distribution {n}")
    make_booking(kitchen, secours, soon, title="Atelier des autres")
    make_booking(kitchen, restos, utcnow() - timedelta(days=3), title="Déjà passée")
    make_booking(kitchen, restos, soon, title="Annulée", status="cancelled")
    login_as(marie)

    page = page_text(client.get("/"))

    coming = section(page, "next-title")
    assert [f"Distribution {n}" in coming for n in range(7)] == [True] * 5 + [False] * 2
    assert "Atelier des autres" not in coming
    assert "Déjà passée" not in coming and "Annulée" not in coming
    assert "Toutes nos réservations (7 à venir)" in coming
    assert "Mettre l'agenda de l'association dans mon téléphone" in coming


def test_a_booking_begun_weeks_ago_and_not_over_is_still_among_the_next(app, client, login_as):
    # Equipment lent for the longest a booking may last (a CHECK), ending tomorrow; another
    # just as long that ended a minute ago. The next bookings are read from an index range
    # that begins LONGEST_BOOKING before now.
    site, restos, secours, hall, kitchen = building()
    tables = make_resource(site, name="Tables pliantes", kind="equipment", quantity=10)
    marie = make_user(restos)
    now = utcnow()
    hours = LONGEST_BOOKING.total_seconds() / 3600
    lent, returned = now + timedelta(days=1), now - timedelta(minutes=1)
    make_booking(tables, restos, lent - LONGEST_BOOKING, hours, title="Prêt")
    make_booking(tables, restos, returned - LONGEST_BOOKING, hours, title="Rendu")
    login_as(marie)

    coming = section(page_text(client.get("/")), "next-title")

    assert "Prêt" in coming and "Rendu" not in coming
    assert "Toutes nos réservations (1 à venir)" in coming


def test_today_in_the_building_lists_each_room_with_what_is_booked_and_hides_private_titles(
    app, client, login_as
):
    site, restos, secours, hall, kitchen = building()
    marie = make_user(restos)
    make_booking(hall, restos, today_at(site, 0, 15), 0.5, title="Café des bénévoles")
    make_booking(hall, secours, today_at(site, 0, 45), 0.25, title="Réunion privée")
    make_booking(kitchen, restos, today_at(site, 0, 15, days=1), title="Demain")
    login_as(marie)

    today = section(page_text(client.get("/")), "today-title")

    assert "Hall d'accueil 00:15–00:45 Café des bénévoles (Restos) · 00:45–01:00 Réservé — " in (
        today
    )
    assert "Secours populaire" in today and "Réunion privée" not in today
    assert "Cuisine équipée Rien de réservé" in today


def test_the_manager_sees_how_many_requests_wait(app, client, login_as):
    site, restos, secours, hall, kitchen = building()
    manager = make_user(is_manager=True)
    for n in range(3):
        make_booking(hall, restos, utcnow() + timedelta(days=n + 1), status="pending")
    login_as(manager)

    page = page_text(client.get("/"))

    assert 'href="/gestion/demandes">Demandes à valider (3)</a>' in page


def test_the_social_worker_sees_her_next_permanence_and_how_full_it_is(app, client, login_as):
    site, restos, secours, hall, kitchen = building()
    office = make_resource(site, name="Bureau 1")
    ccas = make_organisation(kind="ccas", name="CCAS")
    worker = make_user(ccas, is_social_worker=True)
    now = utcnow()
    weekday = (to_local(now, site.tz) + timedelta(days=2)).weekday()
    make_permanence(worker, office, now, weekdays=frozenset({weekday}))
    login_as(worker)

    panel = section(page_text(client.get("/")), "role-sw")

    assert "Prochaine permanence" in panel
    assert "Bureau 1" in panel
    assert "0 créneau réservé sur 6" in panel


def test_a_volunteer_sees_this_weeks_free_permanence_slots_one_tap_from_booking(
    app, client, login_as
):
    site, restos, secours, hall, kitchen = building()
    office = make_resource(site, name="Bureau 1")
    now = utcnow()
    weekday = (to_local(now, site.tz) + timedelta(days=2)).weekday()
    permanence = make_permanence(None, office, now, weekdays=frozenset({weekday}))
    marie = make_user(restos)
    login_as(marie)

    page = page_text(client.get("/"))

    slots = section(page, "slots-title")
    assert "Bureau 1" in slots and "6 libres" in slots
    links = re.findall(rf'href="(/permanences/{permanence.id}/creneau/[^"]+)"', page)
    assert len(links) == 4
    assert client.get(links[0]).status_code == 200


def test_someone_of_no_association_sees_no_next_bookings_nor_slots(app, client, login_as):
    building()
    loner = make_user()
    login_as(loner)

    page = page_text(client.get("/"))

    assert 'id="next-title"' not in page and 'id="slots-title"' not in page
    assert "Aujourd'hui au pôle" in page


def test_home_offers_no_slot_her_association_may_not_take_yet(app, client, login_as):
    """Two slots already held, days before: the rest wait for the last 48 hours (fair share)."""
    from pole.permanences import services as permanences

    site, restos, secours, hall, kitchen = building()
    office = make_resource(site, name="Bureau 1")
    now = utcnow()
    weekday = (to_local(now, site.tz) + timedelta(days=5)).weekday()
    permanence = make_permanence(None, office, now, weekdays=frozenset({weekday}))
    marie = make_user(restos)
    day = to_local(now, site.tz).date() + timedelta(days=5)
    for hour, minute in ((14, 0), (14, 30)):
        start = local_to_utc(day, time(hour, minute), site.tz)
        data = permanences.AppointmentData(restos.id, "logement")
        permanences.book_slot(permanence.id, start, data, marie, now)
    login_as(marie)

    page = page_text(client.get("/"))

    assert f"/permanences/{permanence.id}/creneau/" not in page
    assert 'id="slots-title"' not in page
