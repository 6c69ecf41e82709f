"""French text for dates, times, durations and lists, written in one place (pole.formatting)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from pole.formatting import (
    WEEKDAYS,
    WEEKDAYS_SHORT,
    format_date,
    format_datetime,
    format_day,
    format_duration,
    format_hhmm,
    format_local,
    join_words,
    weekday_names,
)

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("value", "say_midnight", "text"),
    [
        (0, False, "00:00"),
        (0, True, "minuit"),
        (1440, False, "24:00"),
        (1440, True, "minuit"),
        (510, True, "08:30"),
        (1439, False, "23:59"),
        (time(8, 5), False, "08:05"),
        (datetime(2026, 11, 24, 0, 0), True, "minuit"),
        (datetime(2026, 11, 24, 14, 45), False, "14:45"),
    ],
    ids=[
        "midnight-digits",
        "midnight-said",
        "next-midnight-digits",
        "next-midnight-said",
        "morning",
        "last-minute",
        "a-time",
        "a-datetime-at-midnight",
        "a-datetime",
    ],
)
def test_a_wall_time_reads_hh_mm(value, say_midnight, text):
    assert format_hhmm(value, say_midnight=say_midnight) == text


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (0, "0 min"),
        (1, "1 min"),
        (30, "30 min"),
        (60, "1 h"),
        (90, "1 h 30"),
        (125, "2 h 05"),
        (120, "2 h"),
        (1440, "24 h"),
        (1500, "25 h"),
        (2880, "2 jours"),
        (7 * 1440, "7 jours"),
    ],
    ids=["zero", "one-minute", "half-hour", "an-hour", "hour-and-a-half", "padded-minutes"]
    + ["two-hours", "a-day-in-hours", "a-day-and-an-hour", "two-days", "a-week"],
)
def test_a_duration_has_one_french_form(minutes, text):
    assert format_duration(minutes) == text


@pytest.mark.parametrize(
    ("day", "short", "long"),
    [
        (date(2026, 11, 24), "mar. 24/11", "mardi 24 novembre 2026"),
        (date(2026, 3, 29), "dim. 29/03", "dimanche 29 mars 2026"),
        (date(2026, 10, 25), "dim. 25/10", "dimanche 25 octobre 2026"),
        (date(2027, 1, 1), "ven. 01/01", "vendredi 1 janvier 2027"),
    ],
    ids=["winter", "spring-clock-change", "autumn-clock-change", "new-year"],
)
def test_a_day_reads_the_french_way(day, short, long):
    assert format_day(day) == short
    assert format_date(day) == long


@pytest.mark.parametrize(
    ("instant", "short", "long"),
    [
        (
            datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
            "mar. 24/11 10:00",
            "mardi 24 novembre 2026 à 10:00",
        ),
        (
            datetime(2026, 11, 24, 23, 0, tzinfo=UTC),
            "mer. 25/11 00:00",
            "mercredi 25 novembre 2026 à 00:00",
        ),
        (
            datetime(2026, 3, 29, 0, 59, tzinfo=UTC),
            "dim. 29/03 01:59",
            "dimanche 29 mars 2026 à 01:59",
        ),
        (
            datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
            "dim. 29/03 03:00",
            "dimanche 29 mars 2026 à 03:00",
        ),
        (
            datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
            "dim. 25/10 02:30",
            "dimanche 25 octobre 2026 à 02:30",
        ),
        (
            datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
            "dim. 25/10 02:30",
            "dimanche 25 octobre 2026 à 02:30",
        ),
    ],
    ids=[
        "winter-time",
        "utc-evening-is-local-midnight",
        "spring-before-the-jump",
        "spring-after-the-jump",
        "autumn-first-02h30",
        "autumn-second-02h30",
    ],
)
def test_an_instant_reads_as_wall_time_in_the_sites_zone(instant, short, long):
    assert format_local(instant, PARIS) == short
    assert format_datetime(instant, PARIS) == long


def test_format_local_refuses_a_naive_instant():
    with pytest.raises(ValueError):
        format_local(datetime(2026, 11, 24, 9, 0), PARIS)


def test_a_naive_datetime_is_read_as_utc():
    assert format_datetime(datetime(2026, 7, 1, 8, 0), PARIS, "HH:mm") == "10:00"


def test_a_pattern_picks_the_parts_shown():
    assert format_date(date(2026, 3, 4), "EEE d MMM y") == "mer. 4 mars 2026"
    assert format_date(date(2026, 2, 4), "d MMMM") == "4 février"


@pytest.mark.parametrize(
    ("words", "text"),
    [
        ([], ""),
        (["lundi"], "lundi"),
        (["lundi", "mardi"], "lundi et mardi"),
        (["lundi", "mardi", "jeudi"], "lundi, mardi et jeudi"),
    ],
    ids=["empty", "one-word", "two-words", "three-words"],
)
def test_words_join_the_french_way(words, text):
    assert join_words(words) == text
    assert join_words(iter(words)) == text


@pytest.mark.parametrize(
    ("weekdays", "text"),
    [
        (set(), ""),
        ({6}, "dimanche"),
        ({3, 1}, "mardi et jeudi"),
        ({4, 0, 2}, "lundi, mercredi et vendredi"),
    ],
    ids=["none", "sunday", "two-in-week-order", "three-in-week-order"],
)
def test_weekdays_are_named_in_week_order(weekdays, text):
    assert weekday_names(weekdays) == text


def test_weekday_names_start_on_monday():
    assert WEEKDAYS[0] == "lundi" and WEEKDAYS[6] == "dimanche"
    assert WEEKDAYS_SHORT[1] == "mar."
