"""The day on a phone: per resource, its bookings and free windows, a week strip, one tap."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from pole.timeutil import local_to_utc
from tests.factories import make_booking, make_organisation, make_resource, make_site, make_user

PARIS = ZoneInfo("Europe/Paris")
DAYTIME = {str(day): [[8 * 60, 20 * 60]] for day in range(7)}


def _today() -> date:
    return datetime.now(PARIS).date()


MONDAY = _today() + timedelta(days=21 - _today().weekday())
TUESDAY = MONDAY + timedelta(days=1)


def at(day: date, hhmm: str) -> datetime:
    return local_to_utc(day, time.fromisoformat(hhmm), PARIS)


def day_list(response) -> str:
    text = html.unescape(response.get_data(as_text=True))
    return text[text.index('class="day-list"') : text.index('class="day-wide"')]


@pytest.fixture()
def pole(app):
    site = make_site(name="Pôle Les 4 Épis")
    restos = make_organisation(name="Restos du cœur", short_name="Restos")
    kitchen = make_resource(
        site,
        name="Cuisine équipée",
        opening_hours=DAYTIME,
        buffer_minutes=30,
        granularity_minutes=30,
    )
    tables = make_resource(
        site,
        name="Tables pliantes",
        kind="equipment",
        quantity=10,
        unit_singular="table",
        unit_plural="tables",
        opening_hours=DAYTIME,
    )
    marie = make_user(restos, name="Marie")
    return restos, kitchen, tables, marie


def test_a_resources_day_lists_bookings_and_free_windows_with_buffers(client, pole):
    restos, kitchen, tables, _marie = pole
    make_booking(kitchen, restos, at(TUESDAY, "10:00"), 2, title="Atelier cuisine")
    make_booking(tables, restos, at(TUESDAY, "14:00"), 2, quantity=4)
    listed = day_list(client.get(f"/agenda?date={TUESDAY}"))
    kitchen_part = listed[listed.index("Cuisine équipée") : listed.index("Tables pliantes")]
    # 10:00–12:00 booked, then 30 minutes of cleaning; a booking before it must leave 30 too.
    assert re.findall(r'dl-when">libre (\d\d:\d\d–\d\d:\d\d)', kitchen_part) == [
        "08:00–09:30",
        "12:30–20:00",
    ]
    assert "10:00–12:00" in kitchen_part
    tables_part = listed[listed.index("Tables pliantes") :]
    assert "libre 14:00–16:00" in tables_part and "6 tables libres" in tables_part


def test_a_free_window_opens_the_form_filled_for_an_hour_or_up_to_its_end(client, pole):
    restos, kitchen, _tables, _marie = pole
    make_booking(kitchen, restos, at(TUESDAY, "10:00"), 2)
    listed = day_list(client.get(f"/agenda?date={TUESDAY}"))
    links = re.findall(r'<a href="(/reservations/nouvelle\?[^"]+)">', listed)
    first = f"resource_id={kitchen.id}&date={TUESDAY}&start=08:00&end=09:00"
    assert any(first in link.replace("&amp;", "&") for link in links)
    make_booking(kitchen, restos, at(TUESDAY, "13:00"), 1)
    listed = day_list(client.get(f"/agenda?date={TUESDAY}"))
    # 12:30 to 12:30 (13:00 minus cleaning) is nothing: no window; 14:30 onwards is.
    assert "libre 12:30" not in listed
    assert "start=14:30&end=15:30" in listed.replace("&amp;", "&")


def test_the_week_strip_links_each_day_of_two_weeks_and_marks_the_shown_one(client, pole):
    text = html.unescape(client.get(f"/agenda?date={TUESDAY}").get_data(as_text=True))
    strip = text[text.index('class="week-strip"') : text.index("</nav>", text.index("week-strip"))]
    days = re.findall(r'href="/agenda\?date=([\d-]+)"', strip)
    week = [MONDAY + timedelta(days=i) for i in range(14)]
    assert days == [
        (TUESDAY - timedelta(7)).isoformat(),
        *[d.isoformat() for d in week],
        (TUESDAY + timedelta(7)).isoformat(),
    ]
    assert re.search(rf'date={TUESDAY}" class="strip-day is-shown[^"]*" aria-current="date"', strip)


def test_a_closed_day_and_a_closure_say_so(client, pole, app):
    from pole.db import db
    from pole.resources.models import Closure

    restos, kitchen, tables, marie = pole
    db.session.add(
        Closure(
            site_id=kitchen.site_id,
            resource_id=kitchen.id,
            start=at(TUESDAY, "14:00"),
            end=at(TUESDAY, "16:00"),
            reason="Désinfection",
            created_by_id=marie.id,
        )
    )
    db.session.commit()
    listed = day_list(client.get(f"/agenda?date={TUESDAY}"))
    assert "Fermé : Désinfection" in listed
    assert "libre 08:00–14:00" in listed and "libre 16:00–20:00" in listed


def test_a_free_window_offers_its_start_times_each_opening_the_form_for_an_hour(client, pole):
    restos, kitchen, _tables, _marie = pole
    make_booking(kitchen, restos, at(TUESDAY, "08:00"), 4.5)  # then 30 min of cleaning
    listed = day_list(client.get(f"/agenda?date={TUESDAY}"))
    kitchen_part = listed[listed.index("Cuisine équipée") : listed.index("Tables pliantes")]
    row = kitchen_part[kitchen_part.index('class="dl-starts"') :]
    row = row[: row.index("</ul>")]
    assert 'aria-label="Heures de début, libre 13:00–20:00, Cuisine équipée"' in row
    starts = re.findall(r"start=(\d\d:\d\d)&end=(\d\d:\d\d)", row)
    hours = [f"{h:02}:00" for h in range(13, 20)]
    assert starts == [(h, f"{int(h[:2]) + 1:02}:00") for h in hours]
    assert 'aria-label="Commencer à 14:00, Cuisine équipée">14:00</a>' in row


@pytest.mark.parametrize(
    ("clock", "first_start"),
    [
        ("10:07", "12:15"),  # the notice ends at 12:07: the next quarter of an hour
        ("21:20", "23:30"),  # late: the last starts of the day, still today
        ("21:50", None),  # the notice ends at 23:50, after the day's last start (23:45)
        ("23:10", None),  # the notice ends tomorrow: nothing today
    ],
)
def test_today_offers_no_start_time_in_the_past_or_inside_the_notice(
    client, pole, clock, first_start
):
    import time_machine

    all_day = {str(day): [[0, 24 * 60]] for day in range(7)}
    make_resource(name="Salle du fond", opening_hours=all_day, min_notice_minutes=120)
    now = datetime.combine(MONDAY, time.fromisoformat(clock), PARIS)
    with time_machine.travel(now, tick=False):
        listed = day_list(client.get(f"/agenda?date={MONDAY}"))
    part = listed[listed.index("Salle du fond") :]
    # Every way in: the free windows' own links and their start-time chips.
    starts = sorted(set(re.findall(r"start=(\d\d:\d\d)", part)))
    if first_start is None:
        assert starts == []
    else:
        assert starts[0] == first_start
