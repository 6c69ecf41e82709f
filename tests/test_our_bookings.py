"""'Nos réservations': one line per series, filters that work without JavaScript, pages."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest

from pole.bookings import services
from pole.bookings.recurrence import Recurrence
from pole.db import utcnow
from pole.timeutil import local_to_utc, to_local
from tests.factories import (
    make_booking,
    make_organisation,
    make_resource,
    make_site,
    make_user,
    page_text,
)

HX = {"HX-Request": "true"}


@pytest.fixture()
def restos(app):
    site = make_site()
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    marie = make_user(restos, name="Marie")
    monique = make_user(restos, name="Monique")
    hall = make_resource(site, name="Hall d'accueil")
    kitchen = make_resource(site, name="Cuisine équipée")
    return site, restos, marie, monique, hall, kitchen


def next_week_day(site, days: int, hour: int):  # noqa: ANN001, ANN201
    day = to_local(utcnow(), site.tz).date() + timedelta(days=days)
    return local_to_utc(day, time(hour), site.tz)


def weekly_series(site, hall, restos, marie, weeks: int = 6, title: str = "Distribution"):  # noqa: ANN001, ANN201
    first = to_local(utcnow(), site.tz).date() + timedelta(days=2)
    recurrence = Recurrence(
        first_day=first,
        start_time=time(14),
        end_time=time(16),
        freq="weekly",
        weekdays=frozenset({first.weekday()}),
        count=weeks,
    )
    data = services.SeriesData(hall.id, restos.id, title, recurrence)
    return services.create_series(data, marie)


def lines(page: str) -> list[str]:
    """The list's lines as read on screen (a series' dates inside it left out)."""
    items = re.findall(
        r'<li class="booking-item[^"]*">(.*?)(?:<details class="series-open">|</li>)', page, re.S
    )
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def test_a_series_is_one_line_with_its_rule_next_date_and_dates_left(client, login_as, restos):
    site, org, marie, monique, hall, kitchen = restos
    series = weekly_series(site, hall, org, marie)
    make_booking(kitchen, org, next_week_day(site, 3, 9), title="Atelier cuisine")
    login_as(monique)

    page = page_text(client.get("/reservations"))

    (first, second) = lines(page)
    assert first.startswith("Distribution · Hall d'accueil · série Chaque ")
    assert ", 14:00–16:00, 6 fois" in first and "6 dates à venir" in first
    assert "Prochaine date :" in first
    assert second.startswith("Atelier cuisine Confirmée")
    # The series opens to its dates, each with its own page.
    for booking in series.bookings:
        assert f'href="/reservations/{booking.id}"' in page
    assert "Voir les 6 dates" in page


def test_a_cancelled_date_is_not_counted_as_left(client, login_as, restos):
    site, org, marie, monique, hall, kitchen = restos
    series = weekly_series(site, hall, org, marie, weeks=3)
    services.cancel_booking(series.bookings[0].id, marie, "one")
    login_as(marie)

    (line,) = lines(page_text(client.get("/reservations")))

    assert "2 dates à venir" in line


def test_past_bookings_are_listed_latest_first(client, login_as, restos):
    site, org, marie, monique, hall, kitchen = restos
    make_booking(hall, org, utcnow() - timedelta(days=10), title="Il y a dix jours")
    make_booking(hall, org, utcnow() - timedelta(days=3), title="Il y a trois jours")
    make_booking(hall, org, utcnow() + timedelta(days=3), title="Dans trois jours")
    login_as(marie)

    past = lines(page_text(client.get("/reservations?quand=passees")))
    coming = lines(page_text(client.get("/reservations")))

    assert [line.split(" ")[3] for line in past] == ["trois", "dix"]
    assert [line.split(" ")[1] for line in coming] == ["trois"]


def test_filters_narrow_to_a_resource_and_to_what_i_made(client, login_as, restos):
    site, org, marie, monique, hall, kitchen = restos
    make_booking(hall, org, next_week_day(site, 2, 9), title="Hall par Marie", created_by=marie)
    make_booking(
        kitchen, org, next_week_day(site, 2, 9), title="Cuisine par Marie", created_by=marie
    )
    make_booking(
        kitchen, org, next_week_day(site, 3, 9), title="Cuisine par Monique", created_by=monique
    )
    login_as(marie)

    by_kitchen = page_text(client.get(f"/reservations?ressource={kitchen.id}"))
    mine = page_text(client.get("/reservations?moi=y"))
    both = page_text(client.get(f"/reservations?ressource={kitchen.id}&moi=y"))

    assert [line.split(" Confirmée")[0] for line in lines(by_kitchen)] == [
        "Cuisine par Marie",
        "Cuisine par Monique",
    ]
    assert [line.split(" Confirmée")[0] for line in lines(mine)] == [
        "Hall par Marie",
        "Cuisine par Marie",
    ]
    assert [line.split(" Confirmée")[0] for line in lines(both)] == ["Cuisine par Marie"]


def test_the_list_comes_twenty_lines_a_page(client, login_as, restos):
    site, org, marie, monique, hall, kitchen = restos
    for n in range(23):
        make_booking(hall, org, utcnow() + timedelta(days=1, hours=n), title=f"Réunion {n:02}")
    weekly_series(site, kitchen, org, marie, weeks=2, title="Série")
    login_as(marie)

    first = page_text(client.get("/reservations"))
    assert len(lines(first)) == 20 and "Précédentes" not in first
    following = re.search(r'href="(/reservations\?[^"]*page=2[^"]*)"', first).group(1)
    assert "Suivantes" in first

    second = page_text(client.get(following.replace("&amp;", "&")))
    assert len(lines(second)) == 4 and "Suivantes" not in second and "Précédentes" in second
    every = lines(first) + lines(second)
    assert every[0].startswith("Réunion 00") and sum(x.startswith("Série") for x in every) == 1


def test_the_filter_form_works_with_htmx_and_bad_filters_get_422(client, login_as, restos):
    site, org, marie, monique, hall, kitchen = restos
    make_booking(hall, org, next_week_day(site, 2, 9), title="Distribution")
    login_as(marie)

    block = client.get("/reservations?quand=passees", headers=HX)
    assert page_text(block).lstrip().startswith('<div id="our-bookings"')
    assert "Aucune réservation passée" in page_text(block)

    for bad in ("quand=demain", "ressource=abc", "page=0", "ressource=999999"):
        response = client.get(f"/reservations?{bad}")
        assert response.status_code == 422, bad
        assert "Ces filtres ne se comprennent pas" in page_text(response)


def test_other_organisations_bookings_are_never_listed(client, login_as, restos):
    site, org, marie, monique, hall, kitchen = restos
    other = make_organisation(name="Secours populaire")
    make_booking(hall, other, next_week_day(site, 2, 9), title="Secret des autres")
    login_as(marie)

    for query in ("", "?quand=passees", f"?organisation_id={other.id}"):
        assert "Secret des autres" not in page_text(client.get(f"/reservations{query}"))
