"""Recurring bookings keep their local hours, follow their pattern and stop where they should."""

from __future__ import annotations

from datetime import date, time
from zoneinfo import ZoneInfo

import pytest

from pole.bookings.recurrence import Occurrence, Recurrence, describe, expand
from pole.timeutil import UTC, to_local

PARIS = ZoneInfo("Europe/Paris")
FAR = date(2028, 12, 31)
TUE, THU, FRI, SUN = 1, 3, 4, 6


def weekly(first_day: date, *days: int, **kwargs) -> Recurrence:
    kwargs.setdefault("start_time", time(8, 30))
    kwargs.setdefault("end_time", time(12, 0))
    return Recurrence(first_day=first_day, freq="weekly", weekdays=frozenset(days), **kwargs)


def monthly(first_day: date, month_week: int | None, *days: int, **kwargs) -> Recurrence:
    kwargs.setdefault("start_time", time(18, 0))
    kwargs.setdefault("end_time", time(20, 0))
    return Recurrence(
        first_day=first_day,
        freq="monthly",
        month_week=month_week,
        weekdays=frozenset(days),
        **kwargs,
    )


def days_of(occurrences: list[Occurrence]) -> list[str]:
    return [o.day.isoformat() for o in occurrences]


def test_a_weekly_series_keeps_its_local_hours_across_the_autumn_clock_change():
    rec = weekly(date(2026, 10, 13), TUE, THU, until=date(2026, 11, 5))
    occurrences = expand(rec, PARIS, FAR)
    assert days_of(occurrences) == [
        "2026-10-13",
        "2026-10-15",
        "2026-10-20",
        "2026-10-22",
        "2026-10-27",
        "2026-10-29",
        "2026-11-03",
        "2026-11-05",
    ]
    for o in occurrences:
        assert o.problem == ""
        assert to_local(o.start, PARIS).time() == time(8, 30)
        assert to_local(o.end, PARIS).time() == time(12, 0)
    utc_hours = [o.start.astimezone(UTC).strftime("%H:%M") for o in occurrences]
    assert utc_hours == ["06:30"] * 4 + ["07:30"] * 4


@pytest.mark.parametrize(
    ("rec", "expected"),
    [
        (
            monthly(date(2026, 11, 1), 2, TUE, count=4),
            ["2026-11-10", "2026-12-08", "2027-01-12", "2027-02-09"],
        ),
        (
            monthly(date(2026, 11, 1), -1, FRI, count=3),
            ["2026-11-27", "2026-12-25", "2027-01-29"],
        ),
        (
            monthly(date(2026, 11, 1), -1, FRI, count=3, interval=2),
            ["2026-11-27", "2027-01-29", "2027-03-26"],
        ),
        (
            monthly(date(2026, 11, 10), 2, count=2),
            ["2026-11-10", "2026-12-08"],
        ),
        (
            monthly(date(2026, 10, 31), None, count=4),
            ["2026-10-31", "2026-12-31", "2027-01-31", "2027-03-31"],
        ),
        (
            weekly(date(2026, 11, 3), count=4, interval=2),
            ["2026-11-03", "2026-11-17", "2026-12-01", "2026-12-15"],
        ),
        (
            weekly(date(2026, 11, 5), 0, THU, count=5, interval=2),
            ["2026-11-05", "2026-11-16", "2026-11-19", "2026-11-30", "2026-12-03"],
        ),
        (
            weekly(date(2026, 11, 4), TUE, count=2),
            ["2026-11-10", "2026-11-17"],
        ),
    ],
    ids=[
        "second-tuesday-of-each-month",
        "last-friday-of-each-month",
        "last-friday-every-two-months",
        "second-weekday-of-first-day-when-none-given",
        "the-31st-skips-short-months",
        "every-two-weeks-on-first-days-weekday",
        "every-two-weeks-monday-and-thursday",
        "first-day-counts-only-when-it-matches",
    ],
)
def test_a_series_follows_its_pattern(rec, expected):
    assert days_of(expand(rec, PARIS, FAR)) == expected


@pytest.mark.parametrize(
    ("rec", "last_day", "max_occurrences", "expected"),
    [
        (
            weekly(date(2026, 11, 3), until=date(2026, 11, 24)),
            FAR,
            500,
            ["2026-11-03", "2026-11-10", "2026-11-17", "2026-11-24"],
        ),
        (weekly(date(2026, 11, 3), count=2), FAR, 500, ["2026-11-03", "2026-11-10"]),
        (
            weekly(date(2026, 11, 3), count=10, until=date(2026, 11, 17)),
            FAR,
            500,
            ["2026-11-03", "2026-11-10", "2026-11-17"],
        ),
        (
            weekly(date(2026, 11, 3), count=2, until=date(2027, 6, 30)),
            FAR,
            500,
            ["2026-11-03", "2026-11-10"],
        ),
        (
            weekly(date(2026, 11, 3), until=date(2027, 6, 30)),
            date(2026, 11, 20),
            500,
            ["2026-11-03", "2026-11-10", "2026-11-17"],
        ),
        (
            weekly(date(2026, 11, 3), count=100),
            FAR,
            3,
            ["2026-11-03", "2026-11-10", "2026-11-17"],
        ),
        (weekly(date(2026, 11, 3), count=3), date(2026, 11, 1), 500, []),
    ],
    ids=[
        "until-is-included",
        "count",
        "until-comes-before-count",
        "count-comes-before-until",
        "bounded-by-the-resource-horizon",
        "bounded-by-the-safety-cap",
        "horizon-before-the-first-day",
    ],
)
def test_a_series_stops_at_its_first_limit(rec, last_day, max_occurrences, expected):
    assert days_of(expand(rec, PARIS, last_day, max_occurrences)) == expected


@pytest.mark.parametrize(
    ("rec", "expected"),
    [
        (
            weekly(date(2026, 11, 3), count=4, skipped=frozenset({date(2026, 11, 10)})),
            ["2026-11-03", "2026-11-17", "2026-11-24"],
        ),
        (
            weekly(
                date(2026, 11, 3),
                until=date(2026, 11, 24),
                skipped=frozenset({date(2026, 11, 3), date(2026, 11, 24)}),
            ),
            ["2026-11-10", "2026-11-17"],
        ),
        (
            weekly(date(2026, 11, 3), count=2, skipped=frozenset({date(2026, 11, 11)})),
            ["2026-11-03", "2026-11-10"],
        ),
    ],
    ids=[
        "a-skipped-date-uses-up-one-of-the-count",
        "skipped-dates-within-until",
        "a-skipped-date-off-the-pattern-changes-nothing",
    ],
)
def test_skipped_dates_are_left_out(rec, expected):
    assert days_of(expand(rec, PARIS, FAR)) == expected


def test_a_time_skipped_by_the_spring_clock_change_is_reported_not_crashed_on():
    rec = weekly(date(2027, 3, 14), SUN, start_time=time(2, 30), end_time=time(4, 0), count=4)
    occurrences = expand(rec, PARIS, FAR)
    assert days_of(occurrences) == ["2027-03-14", "2027-03-21", "2027-03-28", "2027-04-04"]
    spring = occurrences[2]
    assert (spring.start, spring.end) == (None, None)
    assert spring.problem == (
        "Le 28/03/2027 à 02:30 n'existe pas : c'est la nuit du passage à l'heure d'été."
    )
    for o in occurrences[:2] + occurrences[3:]:
        assert o.problem == ""
        assert to_local(o.start, PARIS).time() == time(2, 30)


def test_an_end_time_skipped_in_spring_is_reported_too():
    rec = weekly(date(2027, 3, 28), SUN, start_time=time(1, 0), end_time=time(2, 30), count=1)
    [occurrence] = expand(rec, PARIS, FAR)
    assert occurrence.start is None
    assert "02:30 n'existe pas" in occurrence.problem


def test_a_time_repeated_in_autumn_means_the_first_one():
    rec = weekly(date(2026, 10, 25), SUN, start_time=time(2, 30), end_time=time(4, 0), count=1)
    [occurrence] = expand(rec, PARIS, FAR)
    assert occurrence.start.astimezone(UTC).strftime("%H:%M") == "00:30"
    assert occurrence.end.astimezone(UTC).strftime("%H:%M") == "03:00"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"freq": "weekly"},
        {"freq": "daily", "count": 3},
        {"freq": "weekly", "count": 3, "interval": 0},
        {"freq": "weekly", "count": 3, "end_time": time(8, 0)},
        {"freq": "weekly", "count": 3, "weekdays": frozenset({7})},
        {"freq": "weekly", "count": 3, "month_week": 2},
        {"freq": "monthly", "count": 3, "month_week": 5},
        {"freq": "weekly", "count": 0},
    ],
    ids=[
        "no-end",
        "unknown-frequency",
        "zero-interval",
        "ends-before-it-starts",
        "no-such-weekday",
        "month-week-on-a-weekly-series",
        "no-fifth-week",
        "zero-count",
    ],
)
def test_a_malformed_series_is_refused(kwargs):
    base = {"first_day": date(2026, 11, 3), "start_time": time(9, 0), "end_time": time(10, 0)}
    with pytest.raises(ValueError):
        expand(Recurrence(**{**base, **kwargs}), PARIS, FAR)


@pytest.mark.parametrize(
    ("rec", "text"),
    [
        (
            weekly(date(2026, 11, 3), TUE, THU, until=date(2027, 6, 30)),
            "chaque mardi et jeudi, 08:30–12:00, jusqu'au 30/06/2027",
        ),
        (
            monthly(date(2026, 11, 1), 2, TUE, count=10),
            "le 2e mardi de chaque mois, 18:00–20:00, 10 fois",
        ),
        (
            monthly(date(2026, 11, 1), 1, 0, count=1),
            "le 1er lundi de chaque mois, 18:00–20:00, une seule fois",
        ),
        (
            monthly(date(2026, 11, 1), -1, FRI, interval=2, until=date(2027, 6, 30)),
            "le dernier vendredi, tous les deux mois, 18:00–20:00, jusqu'au 30/06/2027",
        ),
        (
            monthly(date(2026, 11, 15), None, count=6),
            "le 15 de chaque mois, 18:00–20:00, 6 fois",
        ),
        (
            weekly(date(2026, 11, 2), 0, interval=2, count=5, until=date(2027, 1, 31)),
            "toutes les deux semaines, le lundi, 08:30–12:00, 5 fois, "
            "jusqu'au 31/01/2027 au plus tard",
        ),
        (
            weekly(
                date(2026, 11, 3),
                TUE,
                until=date(2027, 6, 30),
                skipped=frozenset({date(2026, 12, 29), date(2026, 12, 22)}),
            ),
            "chaque mardi, 08:30–12:00, jusqu'au 30/06/2027, sauf le 22/12/2026 et le 29/12/2026",
        ),
    ],
    ids=[
        "tuesdays-and-thursdays",
        "second-tuesday",
        "first-monday-once",
        "last-friday-every-two-months",
        "day-of-month",
        "every-two-weeks-with-both-ends",
        "with-skipped-dates",
    ],
)
def test_a_series_is_described_in_plain_french(rec, text):
    assert describe(rec) == text
