"""Wall-clock time in Paris versus instants in UTC, clock changes included."""

from __future__ import annotations

import ast
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pole.formatting import format_local
from pole.timeutil import (
    UTC,
    NonexistentLocalTime,
    combine_minutes,
    local_day_bounds,
    local_to_utc,
    minutes_of_day,
    to_local,
)

PARIS = ZoneInfo("Europe/Paris")
SPRING = date(2026, 3, 29)  # clocks jump from 02:00 to 03:00
AUTUMN = date(2026, 10, 25)  # clocks fall back from 03:00 to 02:00

ROOT = Path(__file__).resolve().parents[1]
PURE_MODULES = [
    "pole/timeutil.py",
    "pole/formatting.py",
    "pole/bookings/recurrence.py",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pole/bookings/rules").glob("*.py")),
    "pole/outbox/rules.py",
]


@pytest.mark.parametrize(
    ("day", "wall", "expected_utc"),
    [
        (date(2026, 11, 24), time(10, 0), datetime(2026, 11, 24, 9, 0, tzinfo=UTC)),
        (date(2026, 7, 1), time(10, 0), datetime(2026, 7, 1, 8, 0, tzinfo=UTC)),
        (SPRING, time(1, 59), datetime(2026, 3, 29, 0, 59, tzinfo=UTC)),
        (SPRING, time(3, 0), datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
        (AUTUMN, time(1, 59), datetime(2026, 10, 24, 23, 59, tzinfo=UTC)),
        (AUTUMN, time(2, 30), datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
        (AUTUMN, time(3, 0), datetime(2026, 10, 25, 2, 0, tzinfo=UTC)),
    ],
    ids=[
        "winter-time",
        "summer-time",
        "spring-just-before-the-jump",
        "spring-just-after-the-jump",
        "autumn-before-the-repeated-hour",
        "autumn-repeated-02h30-means-the-first-one",
        "autumn-after-the-repeated-hour",
    ],
)
def test_a_wall_time_becomes_one_utc_instant(day, wall, expected_utc):
    assert local_to_utc(day, wall, PARIS) == expected_utc


@pytest.mark.parametrize("wall", [time(2, 0), time(2, 30), time(2, 59)], ids=str)
def test_a_wall_time_skipped_in_spring_is_refused(wall):
    with pytest.raises(NonexistentLocalTime) as caught:
        local_to_utc(SPRING, wall, PARIS)
    assert caught.value.day == SPRING
    assert caught.value.time == wall


def test_the_skipped_time_is_explained_in_french():
    with pytest.raises(NonexistentLocalTime) as caught:
        local_to_utc(SPRING, time(2, 30), PARIS)
    assert str(caught.value) == (
        "Le 29/03/2026 à 02:30 n'existe pas : c'est la nuit du passage à l'heure d'été."
    )
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("day", "hours"),
    [(date(2026, 11, 24), 3), (SPRING, 2), (AUTUMN, 4)],
    ids=["ordinary-day-3h", "spring-day-only-2h", "autumn-day-4h"],
)
def test_a_booking_from_01h00_to_04h00_lasts_the_real_elapsed_time(day, hours):
    start = local_to_utc(day, time(1, 0), PARIS)
    end = local_to_utc(day, time(4, 0), PARIS)
    assert end - start == timedelta(hours=hours)


@pytest.mark.parametrize(
    ("day", "hours"),
    [(date(2026, 11, 24), 24), (SPRING, 23), (AUTUMN, 25)],
    ids=["ordinary-day", "spring-day", "autumn-day"],
)
def test_a_local_day_runs_from_midnight_to_midnight(day, hours):
    start, end = local_day_bounds(day, PARIS)
    assert to_local(start, PARIS) == datetime.combine(day, time(0), PARIS)
    assert to_local(end, PARIS).date() == day + timedelta(days=1)
    assert minutes_of_day(to_local(end, PARIS)) == 0
    assert end - start == timedelta(hours=hours)


def test_a_day_whose_midnight_is_skipped_starts_when_the_clocks_jump():
    santiago = ZoneInfo("America/Santiago")
    start, end = local_day_bounds(date(2026, 9, 6), santiago)
    assert start == datetime(2026, 9, 6, 4, 0, tzinfo=UTC)
    assert to_local(start, santiago).time() == time(1, 0)
    assert end - start == timedelta(hours=23)


@pytest.mark.parametrize(
    ("day", "minutes", "expected_utc"),
    [
        (date(2026, 11, 24), 0, datetime(2026, 11, 23, 23, 0, tzinfo=UTC)),
        (date(2026, 11, 24), 630, datetime(2026, 11, 24, 9, 30, tzinfo=UTC)),
        (date(2026, 11, 24), 1440, datetime(2026, 11, 24, 23, 0, tzinfo=UTC)),
        (SPRING, 1440, datetime(2026, 3, 29, 22, 0, tzinfo=UTC)),
        (AUTUMN, 150, datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    ],
    ids=["midnight", "10h30", "1440-is-next-midnight", "next-midnight-in-summer", "autumn-02h30"],
)
def test_minutes_of_a_local_day_become_an_instant(day, minutes, expected_utc):
    assert combine_minutes(day, minutes, PARIS) == expected_utc


def test_combining_a_skipped_minute_raises_unless_shifted_to_the_jump():
    with pytest.raises(NonexistentLocalTime):
        combine_minutes(SPRING, 150, PARIS)
    jump = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert combine_minutes(SPRING, 120, PARIS, shift_gap=True) == jump
    assert combine_minutes(SPRING, 150, PARIS, shift_gap=True) == jump
    assert combine_minutes(SPRING, 180, PARIS, shift_gap=True) == jump


@pytest.mark.parametrize("minutes", [-1, 1441], ids=["negative", "past-next-midnight"])
def test_minutes_outside_the_day_are_a_programming_error(minutes):
    with pytest.raises(ValueError):
        combine_minutes(date(2026, 11, 24), minutes, PARIS)


def test_local_helpers():
    instant = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    local = to_local(instant, PARIS)
    assert (local.hour, local.minute) == (10, 0)
    assert minutes_of_day(local) == 600
    assert format_local(instant, PARIS) == "mar. 24/11 10:00"
    with pytest.raises(ValueError):
        to_local(datetime(2026, 11, 24, 9, 0), PARIS)


@pytest.mark.parametrize("relative_path", PURE_MODULES, ids=PURE_MODULES)
def test_rule_modules_stay_free_of_flask_and_sqlalchemy(relative_path):
    tree = ast.parse((ROOT / relative_path).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert imported, "the file should at least import the standard library"
    forbidden = {name for name in imported if name.lower().startswith(("flask", "sqlalchemy"))}
    assert not forbidden
