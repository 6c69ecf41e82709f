"""Quota arithmetic at its edges: periods, straddling bookings, DST, statuses, groups, defaults."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from pole.bookings.capacity import capacity_reason, fits
from pole.formatting import format_hours as hours_text
from pole.quotas.rules import (
    Held,
    PastBooking,
    QuotaRule,
    applicable,
    excess_reason,
    excesses,
    shares,
    standing_text,
    usage,
    window_at,
    windows_of,
)
from pole.timeutil import local_to_utc

PARIS = ZoneInfo("Europe/Paris")
HALL, OFFICE_1, OFFICE_2 = 1, 2, 3
RESTOS, SECOURS = 10, 11

MONTHLY_HALL = QuotaRule(
    id=1,
    maximum=20,
    unit="hours",
    period="month",
    resource_ids=frozenset({HALL}),
    target=("resource", HALL),
    place="dans le hall",
    organisation_kind="association",
)
WEEKLY_OFFICES = QuotaRule(
    id=2,
    maximum=3,
    unit="bookings",
    period="week",
    resource_ids=frozenset({OFFICE_1, OFFICE_2}),
    target=("group", 1),
    place="dans les deux bureaux",
    organisation_kind="association",
)
WINTER = QuotaRule(
    id=3,
    maximum=100,
    unit="hours",
    period="season",
    resource_ids=frozenset({HALL}),
    target=("resource", HALL),
    place="dans le hall",
    organisation_id=RESTOS,
    season=(date(2026, 11, 1), date(2027, 3, 31)),
)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return local_to_utc(day, time(hour, minute), PARIS)


def held(day: date, start: int, end: int, resource: int = HALL, status: str = "confirmed") -> Held:
    return Held(at(day, start), at(day, end), resource, status)


@pytest.mark.parametrize(
    ("rule", "day", "first", "last", "label"),
    [
        (MONTHLY_HALL, date(2026, 12, 31), date(2026, 12, 1), date(2026, 12, 31), "décembre 2026"),
        (MONTHLY_HALL, date(2027, 2, 1), date(2027, 2, 1), date(2027, 2, 28), "février 2027"),
        (MONTHLY_HALL, date(2028, 2, 29), date(2028, 2, 1), date(2028, 2, 29), "février 2028"),
        (
            WEEKLY_OFFICES,
            date(2026, 12, 6),  # a Sunday ends its week
            date(2026, 11, 30),
            date(2026, 12, 6),
            "semaine du 30 novembre 2026",
        ),
        (
            WEEKLY_OFFICES,
            date(2026, 12, 7),  # a Monday starts one
            date(2026, 12, 7),
            date(2026, 12, 13),
            "semaine du 7 décembre 2026",
        ),
        (
            WINTER,
            date(2027, 3, 31),
            date(2026, 11, 1),
            date(2027, 3, 31),
            "saison du 1er novembre 2026 au 31 mars 2027",
        ),
    ],
    ids=["last-day-of-month", "first-of-feb", "leap-feb", "sunday", "monday", "season-last-day"],
)
def test_the_period_containing_a_day(rule, day, first, last, label):
    window = window_at(rule, day, PARIS)
    assert (window.first_day, window.last_day, window.label) == (first, last, label)
    assert window.start == at(first, 0)
    assert window.end == at(last + timedelta(days=1), 0)


def test_a_day_outside_the_season_has_no_period():
    assert window_at(WINTER, date(2027, 4, 1), PARIS) is None
    assert window_at(WINTER, date(2026, 10, 31), PARIS) is None


def test_a_week_across_the_autumn_change_lasts_169_hours():
    window = window_at(WEEKLY_OFFICES, date(2027, 10, 31), PARIS)
    assert window.end - window.start == timedelta(hours=169)


@pytest.mark.parametrize(
    ("rule", "start", "end", "minutes"),
    [
        # 22:00 on 30 November to 02:00 on 1 December: 2 h in each month.
        (MONTHLY_HALL, at(date(2026, 11, 30), 22), at(date(2026, 12, 1), 2), [120, 120]),
        # The night of 31 March: 1 h in the season, 3 h after it (not counted).
        (WINTER, at(date(2027, 3, 31), 23), at(date(2027, 4, 1), 3), [60]),
        # The night before it starts: only the hours from 1 November count.
        (WINTER, at(date(2026, 10, 31), 22), at(date(2026, 11, 1), 1), [60]),
        # Across the spring change: 02:00 does not exist, 01:00 to 04:00 is 2 real hours.
        (MONTHLY_HALL, at(date(2027, 3, 28), 1), at(date(2027, 3, 28), 4), [120]),
        # Across the autumn change: 01:00 to 04:00 is 4 real hours.
        (MONTHLY_HALL, at(date(2027, 10, 31), 1), at(date(2027, 10, 31), 4), [240]),
    ],
    ids=[
        "straddles-month-end",
        "straddles-season-end",
        "before-season",
        "dst-spring",
        "dst-autumn",
    ],
)
def test_a_booking_counts_its_hours_in_each_period_it_meets(rule, start, end, minutes):
    windows = windows_of(rule, start, end, PARIS)
    assert [usage(rule, w, [Held(start, end, HALL)]) for w in windows] == minutes


def test_counted_in_bookings_a_straddling_booking_belongs_to_the_period_it_starts_in():
    start, end = at(date(2026, 12, 6), 22), at(date(2026, 12, 7), 2)  # Sunday night to Monday
    windows = windows_of(WEEKLY_OFFICES, start, end, PARIS)
    assert [usage(WEEKLY_OFFICES, w, [Held(start, end, OFFICE_1)]) for w in windows] == [1, 0]


@pytest.mark.parametrize(
    ("status", "counted"),
    [("pending", 120), ("confirmed", 120), ("cancelled", 0), ("rejected", 0)],
)
def test_pending_and_confirmed_count_cancelled_and_refused_do_not(status, counted):
    window = window_at(MONTHLY_HALL, date(2026, 12, 1), PARIS)
    assert usage(MONTHLY_HALL, window, [held(date(2026, 12, 3), 10, 12, status=status)]) == counted


def test_a_group_counts_the_bookings_of_all_its_resources_and_only_those():
    monday = date(2026, 12, 7)
    window = window_at(WEEKLY_OFFICES, monday, PARIS)
    bookings = [
        held(monday, 9, 10, OFFICE_1),
        held(monday, 9, 10, OFFICE_2),
        held(monday, 9, 10, HALL),
    ]
    assert usage(WEEKLY_OFFICES, window, bookings) == 2


OWN_MONTHLY_HALL = replace(
    MONTHLY_HALL, id=9, maximum=40, organisation_id=RESTOS, organisation_kind=None
)


@pytest.mark.parametrize(
    ("organisation", "kind", "resource", "expected"),
    [
        (SECOURS, "association", HALL, [1]),  # the default of its kind
        (RESTOS, "association", HALL, [3, 9]),  # its own monthly quota replaces the default
        (SECOURS, "partner", HALL, []),  # a default for associations is not for partners
        (SECOURS, "association", OFFICE_2, [2]),  # a group covers each of its resources
    ],
    ids=["default", "own-replaces-default", "other-kind", "group"],
)
def test_which_quotas_apply(organisation, kind, resource, expected):
    rules = [MONTHLY_HALL, WEEKLY_OFFICES, WINTER, OWN_MONTHLY_HALL]
    assert [r.id for r in applicable(rules, organisation, kind, resource)] == expected


def test_an_own_quota_on_another_period_leaves_the_default_in_place():
    own_weekly = replace(OWN_MONTHLY_HALL, period="week")
    found = applicable([MONTHLY_HALL, own_weekly], RESTOS, "association", HALL)
    assert [r.id for r in found] == [1, 9]


DEC = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("already", "asked", "over"),
    [
        (18, [(10, 12)], []),  # exactly the quota: fits
        (18, [(10, 13)], [True]),  # one hour too many
        (0, [(8, 18), (8, 18), (8, 10)], [False, False, True]),  # 10 + 10, then over
    ],
    ids=["reaches-the-limit", "one-over", "series-counts-each-occurrence"],
)
def test_a_booking_over_the_quota_is_refused(already, asked, over):
    days = [DEC + timedelta(days=i) for i in range(len(asked))]
    existing = [Held(at(DEC, 0), at(DEC, 0) + timedelta(hours=already), HALL)] if already else []
    found = excesses(
        [MONTHLY_HALL],
        existing,
        [(at(d, s), at(d, e)) for d, (s, e) in zip(days, asked, strict=True)],
        PARIS,
    )
    assert [bool(f) for f in found] == (over or [False] * len(asked))


def test_a_series_dates_past_the_quota_are_listed_and_the_rest_still_fits():
    # Wednesdays of December, 6 h each, with 20 h a month: the 4th would be 24 h.
    wednesdays = [date(2026, 12, 2) + timedelta(weeks=i) for i in range(5)]
    found = excesses([MONTHLY_HALL], [], [(at(d, 8), at(d, 14)) for d in wednesdays], PARIS)
    assert [d for d, f in zip(wednesdays, found, strict=True) if f] == wednesdays[3:5]


def test_a_weekly_series_across_the_dst_change_counts_real_hours():
    # Saturdays 20:00-04:00: the night of 31 October 2027 lasts 9 h, the others 8 h.
    saturdays = [date(2027, 10, 23), date(2027, 10, 30)]
    asked = [(at(d, 20), at(d + timedelta(days=1), 4)) for d in saturdays]
    rule = replace(MONTHLY_HALL, maximum=16)
    found = excesses([rule], [], asked, PARIS)
    assert [bool(f) for f in found] == [False, True]  # 8 h, then 8 + 9 > 16


def test_the_refusal_says_it_in_words_with_the_period():
    existing = [held(date(2026, 12, 1), 8, 18), held(date(2026, 12, 2), 8, 16)]  # 18 h
    (found,) = excesses([MONTHLY_HALL], existing, [(at(DEC, 13), at(DEC, 17))], PARIS)
    reason = excess_reason(found[0], "Restos du cœur", today=date(2026, 12, 1))
    assert reason.message == (
        "Restos du cœur : 18 h sur 20 h ce mois-ci dans le hall ; cette réservation de 4 h "
        "dépasserait le quota (décembre 2026)."
    )
    later = excess_reason(found[0], "Restos du cœur", today=date(2026, 11, 20))
    assert "ce mois-là dans le hall" in later.message


def test_where_an_association_stands():
    window = window_at(MONTHLY_HALL, DEC, PARIS)
    assert (
        standing_text(MONTHLY_HALL, window, 14 * 60 + 30, "Restos du cœur", DEC)
        == "Restos du cœur : 14 h 30 sur 20 h ce mois-ci dans le hall"
    )
    assert standing_text(
        WEEKLY_OFFICES,
        window_at(WEEKLY_OFFICES, DEC, PARIS),
        1,
        "Secours populaire",
        date(2026, 11, 20),
    ) == (
        "Secours populaire : 1 réservation sur 3 réservations cette semaine-là dans les deux "
        "bureaux (semaine du 30 novembre 2026)"
    )


@pytest.mark.parametrize(("minutes", "text"), [(0, "0 h"), (90, "1 h 30"), (1200, "20 h")])
def test_hours_in_words(minutes, text):
    assert hours_text(minutes) == text


def test_the_share_of_each_association():
    now = at(date(2026, 12, 10), 12)
    day, later = date(2026, 12, 9), date(2026, 12, 10)
    start, end = at(DEC, 0), at(date(2027, 1, 1), 0)
    rows = [
        PastBooking(RESTOS, at(day, 8), at(day, 10), "confirmed", at(DEC, 9)),  # used
        PastBooking(RESTOS, at(later, 14), at(later, 18), "confirmed", at(DEC, 9)),  # to come
        PastBooking(RESTOS, at(day, 20), at(day, 22), "cancelled", at(day, 9)),  # late
        PastBooking(SECOURS, at(day, 20), at(day, 22), "cancelled", at(DEC, 9)),  # early
        PastBooking(SECOURS, at(day, 10), at(day, 12), "pending", at(DEC, 9)),
    ]
    found = shares(rows, start, end, now)
    assert (found[RESTOS].booked, found[RESTOS].used, found[RESTOS].cancelled_late) == (
        6 * 60,
        2 * 60,
        2 * 60,
    )
    assert found[RESTOS].bookings == 2
    assert (found[SECOURS].booked, found[SECOURS].used, found[SECOURS].cancelled_late) == (
        120,
        0,
        0,
    )


@pytest.mark.parametrize(
    ("capacity", "expected", "ok"),
    [(None, 80, True), (30, None, True), (30, 30, True), (30, 31, False)],
    ids=["no-capacity", "nobody-announced", "exactly-full", "one-too-many"],
)
def test_a_room_fits_the_people_expected(capacity, expected, ok):
    assert fits(capacity, expected) is ok
    reason = capacity_reason("Hall d'accueil", capacity, expected)
    assert (reason is None) is ok
    if reason:
        assert (
            reason.message == "Hall d'accueil accueille 30 personnes au plus (vous en attendez 31)."
        )
