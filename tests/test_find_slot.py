"""Trouver un créneau: free resources and times for a day or a few, a moment, a group."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from pole.bookings.rules.finder import Candidate, find_times
from pole.bookings.rules.windows import Window
from pole.timeutil import local_to_utc
from tests.factories import (
    database_snapshot,
    errors_beside,
    make_booking,
    make_organisation,
    make_resource,
    make_site,
    make_user,
)

PARIS = ZoneInfo("Europe/Paris")
H = 60
DAYTIME = {str(day): [[8 * H, 20 * H]] for day in range(7)}
D1, D2 = date(2027, 3, 4), date(2027, 3, 5)


def spans(found):
    return [(f.key, f.day.day, f.start / H, f.end / H) for f in found]


ROOM_20 = Candidate("salle", D1, [Window(8 * H, 10 * H), Window(14 * H, 20 * H)], seats=20)
OFFICE_4 = Candidate("bureau", D1, [Window(8 * H, 20 * H)], seats=4)
TABLES = Candidate(
    "tables", D1, [Window(8 * H, 14 * H, 2), Window(14 * H, 20 * H, 8)], is_room=False
)


@pytest.mark.parametrize(
    ("candidates", "kwargs", "expected"),
    [
        pytest.param(
            [ROOM_20, OFFICE_4],
            {"earliest": 12 * H, "latest": 18 * H, "duration": 120, "people": 12},
            [("salle", 4, 14, 18)],
            id="afternoon-for-12",
        ),
        pytest.param(
            [ROOM_20, OFFICE_4],
            {"earliest": 0, "latest": 1440, "duration": 180},
            [("bureau", 4, 8, 20), ("salle", 4, 14, 20)],
            id="by-start-then-order",
        ),
        pytest.param(
            [TABLES],
            {"earliest": 0, "latest": 1440, "duration": 60, "units": 5},
            [("tables", 4, 14, 20)],
            id="pooled-needs-units-left",
        ),
        pytest.param(
            [TABLES],
            {"earliest": 0, "latest": 1440, "duration": 60, "people": 3},
            [],
            id="equipment-is-no-room-for-people",
        ),
        pytest.param(
            [Candidate("court", D1, [Window(8 * H, 20 * H)], longest=90)],
            {"earliest": 0, "latest": 1440, "duration": 120},
            [],
            id="longer-than-allowed",
        ),
        pytest.param(
            [Candidate("salle", D2, [Window(9 * H + 10, 12 * H)], step=30), ROOM_20],
            {"earliest": 0, "latest": 1440, "duration": 60},
            [("salle", 4, 8, 10), ("salle", 4, 14, 20), ("salle", 5, 9.5, 12)],
            id="days-in-order-starts-on-the-grid",
        ),
    ],
)
def test_find_times(candidates, kwargs, expected):
    assert spans(find_times(candidates, **kwargs)) == expected


def _today() -> date:
    return datetime.now(PARIS).date()


MONDAY = _today() + timedelta(days=21 - _today().weekday())
THURSDAY = MONDAY + timedelta(days=3)


def at(day: date, hhmm: str) -> datetime:
    return local_to_utc(day, time.fromisoformat(hhmm), PARIS)


@pytest.fixture()
def pole(app):
    site = make_site(name="Pôle Les 4 Épis")
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    hall = make_resource(
        site, name="Hall d'accueil", capacity=40, opening_hours=DAYTIME, requires_approval=True
    )
    room = make_resource(site, name="Salle de réunion", capacity=14, opening_hours=DAYTIME)
    office = make_resource(site, name="Bureau partagé", capacity=4, opening_hours=DAYTIME)
    make_resource(
        site, name="Tables pliantes", kind="equipment", quantity=10, opening_hours=DAYTIME
    )
    marie = make_user(restos, name="Marie")
    return restos, hall, room, office, marie


def answers(response) -> list[str]:
    text = html.unescape(response.get_data(as_text=True))
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).strip()
        for item in re.findall(r'<li class="dl-item dl-free">(.*?)</li>', text, re.S)
    ]


def test_a_room_for_12_on_thursday_afternoon(client, pole):
    restos, hall, room, _office, _marie = pole
    make_booking(room, restos, at(THURSDAY, "13:00"), 2)
    response = client.get(
        f"/agenda/trouver?date={THURSDAY}&moment=apres-midi&duration=120&people=12&kind=room"
    )
    assert response.status_code == 200
    found = answers(response)
    assert found == [
        "Hall d'accueil libre 12:00–18:00 · 40 personnes · validée par la gestion "
        "Réserver 12:00–14:00 ›",
        "Salle de réunion libre 15:00–18:00 · 40 personnes Réserver 15:00–17:00 ›".replace(
            "40", "14"
        ),
    ]
    page = response.get_data(as_text=True).replace("&amp;", "&")
    assert f"resource_id={room.id}&date={THURSDAY}&start=15:00&end=17:00" in page


def test_a_search_over_several_days_lists_them_in_order(client, pole):
    response = client.get(
        f"/agenda/trouver?date={MONDAY}&until={THURSDAY}&moment=soir&duration=60&people=30"
    )
    text = html.unescape(response.get_data(as_text=True))
    assert len(answers(response)) == 4  # the hall, each evening
    assert text.index("Lundi") < text.index("Jeudi")


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("date=", "date", "Indiquez un jour."),
        ("date=2027-02-30", "date", None),
        (f"date={MONDAY}&until={MONDAY + timedelta(days=20)}", "until", "14 jours au plus"),
        (f"date={MONDAY}&until={MONDAY - timedelta(days=1)}", "until", "après le premier"),
        (f"date={MONDAY}&people=0", "people", "Entre 1 et 500"),
        (f"date={MONDAY}&start=14:00&end=14:30&duration=60", "end", "plus court"),
        (f"date={MONDAY}&duration=7", "duration", None),
    ],
)
def test_bad_searches_come_back_with_the_error_beside_the_field(
    client, pole, query, field, message
):
    before = database_snapshot()
    response = client.get(f"/agenda/trouver?{query}")
    assert response.status_code == 422
    errors = errors_beside(response, field)
    assert errors and (message is None or message in " ".join(errors))
    assert database_snapshot() == before


def test_the_search_page_opens_on_today_with_nothing_searched(client, pole):
    response = client.get("/agenda/trouver")
    assert response.status_code == 200
    assert "Créneaux libres" not in response.get_data(as_text=True)
