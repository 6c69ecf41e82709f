"""A refused booking leads with the way out: reasons, then the nearest free times, then the
other rooms that fit, above the form, with the focus on the refusal's heading."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest

from pole.bookings import rules
from pole.db import utcnow
from pole.timeutil import local_to_utc, to_local
from tests.factories import (
    database_snapshot,
    make_booking,
    make_organisation,
    make_resource,
    make_site,
    make_user,
    page_text,
)

HX = {"HX-Request": "true"}


@pytest.mark.parametrize(
    ("rooms", "people", "order"),
    [
        ([(40, 0), (12, 1), (20, 2)], 10, [12, 20, 40]),
        ([(40, 0), (12, 1), (20, 2)], None, [12, 20, 40]),
        ([(None, 0), (30, 1)], 5, [30, None]),
        ([(20, 3), (20, 1)], 8, [(20, 1), (20, 3)]),
    ],
    ids=["smallest-that-fits", "no-people-said", "equipment-last", "same-size-by-position"],
)
def test_other_rooms_are_offered_closest_in_size_first(rooms, people, order):
    ordered = sorted(rooms, key=lambda r: rules.nearest_fit(r[0], r[1], people))
    if isinstance(order[0], tuple):
        assert ordered == order
    else:
        assert [capacity for capacity, _ in ordered] == order


@pytest.fixture()
def taken(app):
    site = make_site()
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    marie = make_user(restos)
    hall = make_resource(site, name="Hall d'accueil", capacity=80, position=0)
    big = make_resource(site, name="Grande salle", capacity=40, position=1)
    small = make_resource(site, name="Petit bureau", capacity=12, position=2)
    tiny = make_resource(site, name="Cagibi", capacity=4, position=3)
    day = to_local(utcnow(), site.tz).date() + timedelta(days=9)
    start = local_to_utc(day, time(10), site.tz)
    make_booking(hall, restos, start, 2, title="Distribution")
    form = {
        "resource_id": hall.id,
        "organisation_id": restos.id,
        "date": day.isoformat(),
        "start": "10:00",
        "end": "11:00",
        "title": "Réunion",
        "expected_people": "10",
    }
    return marie, form, day, (hall, big, small, tiny)


def test_the_refusal_comes_first_with_reasons_then_nearest_times_then_rooms_that_fit(
    client, login_as, taken
):
    marie, form, day, (hall, big, small, tiny) = taken
    login_as(marie)
    before = database_snapshot()

    response = client.post("/reservations", data=form, headers=HX)

    page = page_text(response)
    assert response.status_code == 422
    assert database_snapshot() == before
    refusal = page.index('id="booking-refusal"')
    assert refusal < page.index(
        '<form method="post" action="/reservations" novalidate id="booking-post"'
    )
    assert re.search(r'<h3 id="booking-form-errors" tabindex="-1" autofocus>', page)
    block = page[refusal : page.index('id="booking-post"')]
    reasons = block.index("Ce créneau est déjà pris")
    times = re.findall(r'form="booking-post" name="slot" value="[^T]+T(\d\d:\d\d)/', block)
    assert reasons < block.index('name="slot"')
    assert times == ["09:00", "08:45", "08:30"]  # the same room, nearest free hours first
    others = re.findall(r'name="other_resource" value="(\d+)"', block)
    assert others == [str(small.id), str(big.id)]  # 10 people: the 12 seats, then the 40
    assert str(tiny.id) not in others


def test_a_tapped_suggestion_from_above_the_form_books_it(client, login_as, taken):
    marie, form, day, (hall, big, small, tiny) = taken
    login_as(marie)

    response = client.post("/reservations", data={**form, "other_resource": str(small.id)})

    assert response.status_code == 303
    assert "Petit bureau" in page_text(client.get(response.headers["Location"]))


def test_a_form_with_only_field_errors_says_so_without_suggestions(client, login_as, taken):
    marie, form, day, rooms = taken
    login_as(marie)

    response = client.post("/reservations", data={**form, "title": ""})

    page = page_text(response)
    assert response.status_code == 422
    assert "La réservation n'est pas faite." in page
    assert "Les champs à corriger sont indiqués plus bas." in page
    assert 'name="slot"' not in page
