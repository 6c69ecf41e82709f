"""The report's arithmetic, by table: hours booked and used, occupancy, in-kind value."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from pole.reports import rules
from pole.reports.rules import Value
from pole.reports.rules.days import irregular_days
from pole.timeutil import combine_minutes

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)


# A period in March 2027 (the spring change is on Sunday 28 March).
LO, HI = paris(2027, 3, 1), paris(2027, 4, 1)
NOW = paris(2027, 3, 20, 12)


@pytest.mark.parametrize(
    ("status", "start", "end", "booked", "used"),
    [
        ("confirmed", paris(2027, 3, 2, 10), paris(2027, 3, 2, 12), 120, 120),
        ("pending", paris(2027, 3, 2, 10), paris(2027, 3, 2, 12), 120, 0),
        ("cancelled", paris(2027, 3, 2, 10), paris(2027, 3, 2, 12), 0, 0),
        ("rejected", paris(2027, 3, 2, 10), paris(2027, 3, 2, 12), 0, 0),
        ("confirmed", paris(2027, 3, 25, 10), paris(2027, 3, 25, 12), 120, 0),
        ("confirmed", paris(2027, 3, 20, 11), paris(2027, 3, 20, 13), 120, 60),
        ("confirmed", paris(2027, 2, 28, 22), paris(2027, 3, 1, 2), 120, 120),
        ("confirmed", paris(2027, 3, 31, 22), paris(2027, 4, 1, 2), 120, 0),
        ("confirmed", paris(2027, 3, 28, 1), paris(2027, 3, 28, 4), 120, 0),
    ],
    ids=[
        "confirmed and past",
        "pending is booked, not used",
        "cancelled counts nothing",
        "refused counts nothing",
        "confirmed, still to come",
        "in progress: the past part is used",
        "across midnight into the period: its part in the period",
        "across midnight out of the period",
        "across the spring change: two real hours",
    ],
)
def test_hours_booked_and_used(status, start, end, booked, used):
    assert rules.minutes_booked(status, start, end, LO, HI) == booked
    assert rules.minutes_used(status, start, end, LO, HI, NOW) == used


@pytest.mark.parametrize(
    ("start", "end", "pieces"),
    [
        (paris(2027, 3, 2, 10), paris(2027, 3, 2, 12), [(date(2027, 3, 2), 120)]),
        (
            paris(2027, 3, 2, 22),
            paris(2027, 3, 3, 2),
            [(date(2027, 3, 2), 120), (date(2027, 3, 3), 120)],
        ),
        (paris(2027, 3, 28, 0), paris(2027, 3, 29, 0), [(date(2027, 3, 28), 23 * 60)]),
        (paris(2027, 10, 31, 0), paris(2027, 11, 1, 0), [(date(2027, 10, 31), 25 * 60)]),
        (
            paris(2027, 10, 30, 23),
            paris(2027, 10, 31, 3),
            [(date(2027, 10, 30), 60), (date(2027, 10, 31), 4 * 60)],
        ),
    ],
    ids=["one day", "across midnight", "spring day: 23 h", "autumn day: 25 h", "autumn night"],
)
def test_a_use_counts_for_each_local_day_it_covers(start, end, pieces):
    assert rules.daily_minutes(start, end, PARIS) == pieces


HOURLY = Value(date(2026, 1, 1), per_hour=2500)
DAILY = Value(date(2026, 1, 1), per_half_day=6000, per_day=10000)


@pytest.mark.parametrize(
    ("value", "minutes", "units", "cents"),
    [
        (HOURLY, 60, 1, 2500),
        (HOURLY, 90, 1, 3750),
        (HOURLY, 0, 1, 0),
        (Value(date(2026, 1, 1), per_hour=100), 120, 10, 2000),
        (DAILY, 30, 1, 6000),
        (DAILY, 240, 1, 6000),
        (DAILY, 241, 1, 10000),
        (Value(date(2026, 1, 1), per_day=10000), 60, 1, 10000),
        (Value(date(2026, 1, 1), per_half_day=6000), 300, 1, 12000),
    ],
    ids=[
        "an hour",
        "an hour and a half",
        "nothing used",
        "equipment: per unit",
        "a short use is a half-day",
        "four hours are a half-day",
        "more than four hours is a day",
        "no half-day price: a day",
        "no day price: two half-days",
    ],
)
def test_one_day_of_use_is_worth(value, minutes, units, cents):
    assert rules.day_value(value, minutes, units) == cents


def test_a_price_change_applies_from_its_date_never_before():
    values = [Value(date(2027, 1, 1), per_hour=2000), Value(date(2027, 3, 15), per_hour=2500)]
    uses = {(date(2027, 3, 14), 1): 120, (date(2027, 3, 15), 1): 120}
    assert rules.in_kind_value(uses, values) == 2 * 2000 + 2 * 2500


def test_days_before_the_first_value_are_worth_nothing():
    values = [Value(date(2027, 3, 15), per_hour=2500)]
    uses = {(date(2027, 3, 14), 1): 120, (date(2027, 3, 15), 1): 60}
    assert rules.in_kind_value(uses, values) == 2500


def test_the_value_is_rounded_to_the_cent_once():
    values = [Value(date(2027, 1, 1), per_hour=1000)]  # 10 €/h: 20 min is 3,333… €
    uses = {(date(2027, 3, d), 1): 20 for d in (1, 2, 3)}
    assert rules.in_kind_value(uses, values) == 1000


@pytest.mark.parametrize(
    ("start", "cancelled_at", "late"),
    [
        (paris(2027, 3, 10, 10), paris(2027, 3, 8, 10, 1), True),
        (paris(2027, 3, 10, 10), paris(2027, 3, 8, 10), False),
        (paris(2027, 3, 10, 10), paris(2027, 3, 1, 10), False),
        (paris(2027, 3, 10, 10), None, False),
    ],
    ids=["47 h 59 before", "exactly 48 h before", "a week before", "no cancellation event"],
)
def test_a_late_cancellation_comes_less_than_48_hours_before(start, cancelled_at, late):
    assert rules.is_late_cancellation(start, cancelled_at) is late


def test_opening_hours_are_real_hours_across_the_clock_changes():
    every_day = {str(d): [[0, 1440]] for d in range(7)}
    assert rules.opening_minutes(every_day, date(2027, 3, 28), date(2027, 3, 28), PARIS) == 23 * 60
    assert rules.opening_minutes(every_day, date(2027, 10, 31), date(2027, 10, 31), PARIS) == 1500
    weekdays = {str(d): [[8 * 60, 12 * 60], [14 * 60, 18 * 60]] for d in range(5)}
    week = rules.opening_minutes(weekdays, date(2027, 3, 1), date(2027, 3, 7), PARIS)
    assert week == 5 * 8 * 60


def test_occupancy_is_booked_over_open_hours():
    assert rules.occupancy(120, 480) == Fraction(1, 4)
    assert rules.occupancy(0, 0) is None
    assert rules.format_percent(Fraction(1, 4)) == "25\u202f%"
    assert rules.format_percent(None) == "—"


@pytest.mark.parametrize(
    ("valid_from", "existing", "refused"),
    [
        (date(2026, 1, 1), set(), False),
        (date(2027, 3, 20), {date(2026, 1, 1)}, False),
        (date(2027, 4, 1), {date(2026, 1, 1)}, False),
        (date(2027, 3, 19), {date(2026, 1, 1)}, True),
        (date(2026, 1, 1), {date(2026, 1, 1)}, True),
    ],
    ids=[
        "a first value may start in the past",
        "a change from today",
        "a change from a later date",
        "a change from yesterday is retroactive",
        "rewriting a past value is retroactive",
    ],
)
def test_a_value_never_changes_the_past(valid_from, existing, refused):
    reasons = rules.check_value(valid_from, existing, today=date(2027, 3, 20))
    assert bool(reasons) is refused
    assert all(r.field == "valid_from" for r in reasons)


@pytest.mark.parametrize(
    ("text", "cents"),
    [("25", 2500), ("12,50", 1250), ("12.5", 1250), ("8 €", 800), ("0", 0)],
)
def test_amounts_are_typed_the_french_way(text, cents):
    assert rules.parse_euros(text) == cents


@pytest.mark.parametrize("text", ["", "abc", "-5", "1,234", "12,5,0", "99999999"])
def test_amounts_that_are_not_refused(text):
    with pytest.raises(ValueError, match="montant"):
        rules.parse_euros(text)


def test_euros_and_numbers_are_written_the_french_way():
    assert rules.format_euros(2500) == "25\u00a0€"
    assert rules.format_euros(123450) == "1\u202f234,50\u00a0€"
    assert rules.decimal_comma(12.5) == "12,5"
    assert rules.decimal_comma(3.0) == "3"


@pytest.mark.parametrize(
    ("period", "label"),
    [
        (rules.whole_year(2027), "année 2027"),
        (rules.month(2027, 12), "décembre 2027"),
        (rules.quarter(2027, 1), "1er trimestre 2027"),
        (rules.quarter(2027, 4), "4e trimestre 2027"),
        (rules.Period(date(2027, 3, 3), date(2027, 4, 9)), "du 3 mars 2027 au 9 avril 2027"),
    ],
)
def test_periods_say_their_name(period, label):
    assert period.label == label


def test_periods_cover_whole_months():
    assert rules.month(2028, 2).last == date(2028, 2, 29)
    assert rules.quarter(2027, 4) == rules.Period(date(2027, 10, 1), date(2027, 12, 31))
    assert rules.whole_year(2027).days == 365
    assert timedelta(days=rules.month(2027, 12).days) == timedelta(days=31)


# The heat map ----------------------------------------------------------------------------------

MORNINGS = {str(d): [[8 * 60, 12 * 60]] for d in range(5)}  # Monday to Friday, 08:00–12:00


def test_the_heat_map_shows_booked_over_open_hours_by_weekday_and_hour():
    # Two weeks of March 2027; one room booked on Tuesday 2 March 09:30–11:00.
    uses = [(paris(2027, 3, 2, 9, 30), paris(2027, 3, 2, 11), MORNINGS)]
    heat = rules.weekly_heat(uses, [MORNINGS], date(2027, 3, 1), date(2027, 3, 14), PARIS)
    assert heat[1, 9] == rules.Cell(booked=30, open=120)  # two Tuesdays open 09:00–10:00
    assert heat[1, 10] == rules.Cell(booked=60, open=120)
    assert heat[1, 8] == rules.Cell(booked=0, open=120)
    assert (5, 9) not in heat  # Saturday: closed
    hours, rows = rules.heat_rows(heat)
    assert hours == [8, 9, 10, 11]
    assert [r.weekday for r in rows] == [0, 1, 2, 3, 4]
    assert [shade for _, _, shade in rows[1].cells] == [1, 3, 4, 1]


def test_a_booking_outside_opening_hours_fills_no_cell():
    uses = [(paris(2027, 3, 2, 18), paris(2027, 3, 2, 23), MORNINGS)]
    heat = rules.weekly_heat(uses, [MORNINGS], date(2027, 3, 1), date(2027, 3, 7), PARIS)
    assert sum(c.booked for c in heat.values()) == 0


def test_the_heat_map_counts_real_hours_on_the_spring_change_night():
    always = {str(d): [[0, 1440]] for d in range(7)}
    uses = [(paris(2027, 3, 28, 1), paris(2027, 3, 28, 4), always)]
    heat = rules.weekly_heat(uses, [always], date(2027, 3, 28), date(2027, 3, 28), PARIS)
    assert (6, 2) not in heat  # 02:00–03:00 does not exist that night
    assert heat[6, 1] == heat[6, 3] == rules.Cell(booked=60, open=60)
    assert sum(c.open for c in heat.values()) == 23 * 60


@pytest.mark.parametrize(
    ("ratio", "shade"),
    [
        (None, 0),
        (Fraction(0), 1),
        (Fraction(1, 10), 2),
        (Fraction(1, 4), 3),
        (Fraction(1, 2), 4),
        (Fraction(3, 4), 5),
        (Fraction(1), 5),
    ],
)
def test_a_cells_shade(ratio, shade):
    assert rules.heat_level(ratio) == shade


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (date(2027, 1, 1), date(2027, 12, 31)),
        (date(2027, 3, 27), date(2027, 3, 29)),
        (date(2027, 10, 31), date(2027, 10, 31)),
        (date(2027, 5, 3), date(2027, 5, 9)),
    ],
    ids=["a year", "the spring change", "the autumn day", "a plain week"],
)
def test_counting_days_gives_what_walking_them_gives(first, last):
    hours = {
        str(d): [[0, 1440]] if d == 6 else [[8 * 60, 12 * 60], [14 * 60, 19 * 60]] for d in range(7)
    }
    walked, day = 0, first
    while day <= last:
        for a, b in hours[str(day.weekday())]:
            opens = combine_minutes(day, a, PARIS, shift_gap=True)
            closes = combine_minutes(day, b, PARIS, shift_gap=True)
            walked += int((closes - opens).total_seconds() // 60)
        day += timedelta(days=1)
    assert rules.opening_minutes(hours, first, last, PARIS) == walked
    heat = rules.weekly_heat([], [hours], first, last, PARIS)
    assert sum(c.open for c in heat.values()) == walked


@pytest.mark.parametrize("cents", [0, 5, 99, 2500, 123450, 1234567, 100000000])
def test_euros_are_written_as_babel_writes_them(cents):
    from decimal import Decimal

    from babel.numbers import format_decimal

    pattern = "#,##0" if cents % 100 == 0 else "#,##0.00"
    babel = format_decimal(Decimal(cents) / 100, format=pattern, locale="fr_FR")
    assert rules.format_euros(cents) == babel + "\u00a0€"


def _summed_by_hour(uses, tz):  # noqa: ANN001, ANN202
    """Split bookings as the report's statement does: those within one ordinary local day on
    a weekday their room opens on the hour, summed by (room, weekday, first hour, last hour);
    the others left for `weekly_heat` to cut one by one."""
    runs, rest = defaultdict(lambda: [0, 0, 0]), []
    for room, (start, end, hours) in uses:
        local_start, local_end = start.astimezone(tz), end.astimezone(tz)
        day = local_start.date()
        plain = day not in irregular_days(day, day, tz)  # not a clock-change day
        weekday = day.weekday()
        if local_end.date() != day or not plain or not rules.on_the_hour(hours, weekday):
            rest.append((start, end, hours))
            continue
        m1 = local_start.hour * 60 + local_start.minute
        m2 = local_end.hour * 60 + local_end.minute
        h1, h2 = m1 // 60, (m2 - 1) // 60
        run = runs[room, weekday, h1, h2]
        run[0] += 1
        run[1] += m2 - m1 if h1 == h2 else (h1 + 1) * 60 - m1
        run[2] += 0 if h1 == h2 else m2 - h2 * 60
    return [(*key, *sums) for key, sums in runs.items()], rest


def test_the_heat_map_summed_by_hour_equals_the_heat_map_cut_booking_by_booking():
    """A fortnight around the spring change, a closure, rooms open on the hour (one with two
    overlapping intervals) and one opening at 08:30: the sums by first and last hour fill the
    same cells as cutting each booking by the opening hours."""
    split = {str(d): [[480, 720], [840, 1140]] for d in range(6)}
    overlapping = {str(d): [[480, 720], [600, 780]] for d in range(7)}
    uneven = {str(d): [[510, 1050]] for d in range(5)}
    always = {str(d): [[0, 1440]] for d in range(7)}
    rooms = {1: split, 2: overlapping, 3: uneven, 4: always}
    first, last = date(2027, 3, 22), date(2027, 4, 4)  # the clocks go forward on 28 March
    uses = []
    day = first
    while day <= last:
        for room, (h, m, minutes) in enumerate(
            [(7, 45, 150), (9, 10, 20), (11, 30, 240), (17, 0, 60), (23, 15, 120), (13, 59, 2)]
        ):
            start = paris(day.year, day.month, day.day, h, m)
            for number, hours in rooms.items():
                if (room + number + day.day) % 3:
                    uses.append((number, (start, start + timedelta(minutes=minutes), hours)))
        day += timedelta(days=1)
    closure = (paris(2027, 3, 23, 10), paris(2027, 3, 24, 9))
    closed = [
        piece for hours in rooms.values() for piece in rules.closed_hours(hours, [closure], PARIS)
    ]
    one_by_one = rules.weekly_heat(
        [use for _, use in uses], list(rooms.values()), first, last, PARIS, closed=closed
    )
    runs, rest = _summed_by_hour(uses, PARIS)
    summed = rules.weekly_heat(
        rest, list(rooms.values()), first, last, PARIS,
        rules.hour_grid_minutes(runs, rooms), closed,
    )  # fmt: skip
    assert summed == one_by_one
    assert runs and rest  # both ways are taken
    assert sum(cell.booked for cell in summed.values()) > 0
