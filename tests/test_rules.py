"""Booking rules: overlaps, cleaning time, pooled stock, hours, grid, notice, horizon, rights."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from pole.bookings.rules import (
    BookingRequest,
    ClosurePeriod,
    Occupation,
    Policy,
    Reason,
    check_booking,
    clash_within_series,
    keep_wall_times,
    needs_approval,
    nonexistent_time_reason,
    opening_hours_text,
    overlaps,
    status_after_move,
    suggest_free_times,
)
from pole.timeutil import UTC, NonexistentLocalTime, local_to_utc, to_local

PARIS = ZoneInfo("Europe/Paris")
TUESDAY = date(2026, 11, 24)
SATURDAY = date(2026, 11, 28)
SUNDAY = date(2026, 11, 29)
NOW = local_to_utc(date(2026, 11, 20), time(9, 0), PARIS)  # a Friday morning

MONDAY_TO_FRIDAY_8_TO_19 = {d: [(480, 1140)] for d in range(5)}

ROOM = Policy(
    name="Salle polyvalente",
    is_room=True,
    quantity=1,
    opening_hours={**MONDAY_TO_FRIDAY_8_TO_19, 5: [(540, 720), (840, 1080)]},
    granularity=30,
    min_duration=30,
    max_duration=24 * 60,
    max_days_ahead=90,
    min_notice=0,
    buffer=0,
    allowed_kinds=frozenset({"association", "ccas"}),
    tz=PARIS,
)
KITCHEN = replace(ROOM, name="Cuisine équipée", buffer=30)
TABLES = replace(
    ROOM,
    name="Tables pliantes",
    is_room=False,
    quantity=10,
    units=("table pliante", "tables pliantes"),
)
# Open around the clock on weekends, evenings on Friday, closed on Monday.
NIGHT_ROOM = replace(ROOM, opening_hours={4: [(1080, 1440)], 5: [(0, 1440)], 6: [(0, 1440)]})
ROUND_THE_CLOCK = replace(ROOM, opening_hours={d: [(0, 1440)] for d in range(7)})


def at(day: date, hhmm: str) -> datetime:
    hours, minutes = hhmm.split(":")
    return local_to_utc(day, time(int(hours), int(minutes)), PARIS)


def ask(
    day: date,
    start: str,
    end: str,
    *,
    quantity: int = 1,
    kind: str = "association",
    member: bool = True,
    manager: bool = False,
    end_day: date | None = None,
) -> BookingRequest:
    return BookingRequest(
        start=at(day, start),
        end=at(end_day or day, end),
        quantity=quantity,
        organisation_kind=kind,
        is_member=member,
        is_manager=manager,
    )


def booked(
    day: date, start: str, end: str, quantity: int = 1, label: str = "Réservé"
) -> Occupation:
    return Occupation(start=at(day, start), end=at(day, end), quantity=quantity, label=label)


def codes(reasons: list[Reason]) -> list[str]:
    return [reason.code for reason in reasons]


def check(req, policy=ROOM, occupied=(), closures=(), now=NOW) -> list[Reason]:
    return check_booking(req, policy, list(occupied), list(closures), now)


# --- The one overlap predicate -------------------------------------------------------------

EXISTING_10_TO_12 = ("10:00", "12:00")
OVERLAP_CASES = [
    ("08:00", "09:00", False),
    ("08:00", "10:00", False),
    ("09:00", "11:00", True),
    ("10:30", "11:30", True),
    ("10:00", "12:00", True),
    ("11:00", "13:00", True),
    ("12:00", "14:00", False),
    ("13:00", "14:00", False),
    ("09:00", "13:00", True),
]
OVERLAP_IDS = [
    "before",
    "touching-before",
    "overlapping-start",
    "inside",
    "equal",
    "overlapping-end",
    "touching-after",
    "after",
    "covering",
]


@pytest.mark.parametrize(("start", "end", "expected"), OVERLAP_CASES, ids=OVERLAP_IDS)
def test_periods_overlap_only_when_each_starts_before_the_other_ends(start, end, expected):
    a_start, a_end = at(TUESDAY, start), at(TUESDAY, end)
    b_start, b_end = at(TUESDAY, EXISTING_10_TO_12[0]), at(TUESDAY, EXISTING_10_TO_12[1])
    assert overlaps(a_start, a_end, b_start, b_end) is expected
    assert overlaps(b_start, b_end, a_start, a_end) is expected


@pytest.mark.parametrize(("start", "end", "taken"), OVERLAP_CASES, ids=OVERLAP_IDS)
def test_a_room_holds_one_booking_at_a_time(start, end, taken):
    existing = booked(TUESDAY, *EXISTING_10_TO_12, label="Réservé — Restos du cœur")
    reasons = check(ask(TUESDAY, start, end), occupied=[existing])
    assert codes(reasons) == (["overlap"] if taken else [])
    if taken:
        assert reasons[0].message == (
            "Ce créneau est déjà pris : Réservé — Restos du cœur, de 10:00 à 12:00."
        )
        assert reasons[0].field == "start"


def test_a_conflict_on_another_day_gives_the_dates():
    existing = Occupation(
        start=at(date(2026, 11, 23), "18:00"),
        end=at(TUESDAY, "09:00"),
        quantity=1,
        label="Réservé — Secours populaire",
    )
    [reason] = check(ask(TUESDAY, "08:00", "10:00"), ROUND_THE_CLOCK, occupied=[existing])
    assert "du lun. 23/11 à 18:00 au mar. 24/11 à 09:00" in reason.message


# --- Cleaning time after each booking --------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "start", "end", "taken"),
    [
        (ROOM, "12:00", "14:00", False),
        (ROOM, "08:00", "10:00", False),
        (KITCHEN, "12:00", "14:00", True),
        (KITCHEN, "12:30", "14:00", False),
        (KITCHEN, "09:00", "10:00", True),
        (KITCHEN, "08:30", "09:30", False),
    ],
    ids=[
        "no-buffer-right-after",
        "no-buffer-right-before",
        "buffer-right-after-is-refused",
        "buffer-after-the-cleaning-fits",
        "buffer-own-cleaning-hits-the-next-booking",
        "buffer-own-cleaning-ends-as-next-starts",
    ],
)
def test_a_kitchen_booking_keeps_30_minutes_free_after_it(policy, start, end, taken):
    existing = booked(TUESDAY, "10:00", "12:00", label="Réservé — Banque alimentaire")
    reasons = check(ask(TUESDAY, start, end), policy=policy, occupied=[existing])
    assert codes(reasons) == (["overlap"] if taken else [])


def test_a_cleaning_time_conflict_says_why():
    existing = booked(TUESDAY, "10:00", "12:00", label="Réservé — Banque alimentaire")
    [reason] = check(ask(TUESDAY, "12:00", "14:00"), policy=KITCHEN, occupied=[existing])
    assert reason.message == (
        "Trop près d'une autre réservation (Réservé — Banque alimentaire, de 10:00 à 12:00) : "
        "il faut laisser 30 min libres entre deux réservations pour le ménage."
    )


# --- Pooled equipment -------------------------------------------------------------------------

TWO_FOURS_THAT_NEVER_MEET = [
    booked(TUESDAY, "10:00", "11:00", 4),
    booked(TUESDAY, "11:00", "12:00", 4),
]
THREE_OVERLAPPING = [
    booked(TUESDAY, "10:00", "12:00", 3),
    booked(TUESDAY, "10:30", "11:30", 3),
    booked(TUESDAY, "11:00", "13:00", 2),
]


@pytest.mark.parametrize(
    ("occupied", "quantity", "allowed"),
    [
        (TWO_FOURS_THAT_NEVER_MEET, 6, True),
        (TWO_FOURS_THAT_NEVER_MEET, 7, False),
        (THREE_OVERLAPPING, 2, True),
        (THREE_OVERLAPPING, 3, False),
        ([], 10, True),
    ],
    ids=[
        "two-4s-apart-leave-6",
        "two-4s-apart-not-7",
        "three-overlapping-exactly-at-the-limit",
        "three-overlapping-one-over",
        "whole-stock-when-nothing-is-lent",
    ],
)
def test_pooled_units_never_exceed_the_stock_at_any_moment(occupied, quantity, allowed):
    reasons = check(ask(TUESDAY, "10:00", "13:00", quantity=quantity), TABLES, occupied)
    assert codes(reasons) == ([] if allowed else ["overlap"])


@pytest.mark.parametrize(
    ("occupied", "quantity", "message"),
    [
        (
            THREE_OVERLAPPING,
            3,
            "Il ne reste que 2 tables pliantes disponibles entre 11:00 et 11:30.",
        ),
        (
            [booked(TUESDAY, "10:00", "11:00", 9)],
            2,
            "Il ne reste que 1 table pliante disponible entre 10:00 et 11:00.",
        ),
        (
            [booked(TUESDAY, "10:00", "11:00", 6), booked(TUESDAY, "10:00", "12:00", 4)],
            1,
            "Il n'y a plus de tables pliantes disponibles entre 10:00 et 11:00.",
        ),
    ],
    ids=["two-left", "one-left", "none-left"],
)
def test_a_shortage_says_how_many_remain_at_the_worst_moment(occupied, quantity, message):
    [reason] = check(ask(TUESDAY, "10:00", "13:00", quantity=quantity), TABLES, occupied)
    assert (reason.field, reason.message) == ("quantity", message)


def test_pooled_equipment_also_keeps_its_buffer():
    lent = [booked(TUESDAY, "10:00", "11:00", 10)]
    policy = replace(TABLES, buffer=30)
    [reason] = check(ask(TUESDAY, "11:00", "12:00"), policy, lent)
    assert reason.message == (
        "Il n'y a plus de tables pliantes disponibles entre 11:00 et 11:30. "
        "Il faut compter 30 min de battement après chaque emprunt."
    )
    assert check(ask(TUESDAY, "11:30", "12:30"), policy, lent) == []


@pytest.mark.parametrize(
    ("policy", "quantity", "message"),
    [
        (TABLES, 0, "Indiquez une quantité d'au moins 1."),
        (TABLES, 11, "Il n'y a que 10 tables pliantes en tout."),
        (ROOM, 2, "Une salle se réserve en entier : quantité 1."),
    ],
    ids=["zero", "more-than-the-stock", "room-is-booked-whole"],
)
def test_the_quantity_must_make_sense(policy, quantity, message):
    reasons = check(ask(TUESDAY, "10:00", "12:00", quantity=quantity), policy)
    assert reasons == [Reason("quantity", "quantity", message)]


# --- Opening hours -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "day", "start", "end", "end_day", "expected"),
    [
        (ROOM, TUESDAY, "08:00", "19:00", None, None),
        (ROOM, TUESDAY, "17:00", "19:00", None, None),
        (ROOM, TUESDAY, "18:00", "19:30", None, "end"),
        (ROOM, TUESDAY, "07:30", "09:00", None, "start"),
        (ROOM, SUNDAY, "10:00", "12:00", None, "start"),
        (ROOM, SATURDAY, "09:00", "12:00", None, None),
        (ROOM, SATURDAY, "14:00", "18:00", None, None),
        (ROOM, SATURDAY, "11:00", "15:00", None, "end"),
        (ROOM, SATURDAY, "12:00", "14:00", None, "start"),
        (NIGHT_ROOM, date(2026, 11, 27), "22:00", "01:00", SATURDAY, None),
        (NIGHT_ROOM, SUNDAY, "22:00", "01:00", date(2026, 11, 30), "end"),
        (ROOM, date(2026, 11, 23), "18:00", "09:00", TUESDAY, "end"),
    ],
    ids=[
        "whole-opening",
        "touching-closing-time",
        "past-closing-time",
        "before-opening",
        "closed-day",
        "saturday-morning",
        "saturday-afternoon",
        "over-the-lunch-break",
        "inside-the-lunch-break",
        "over-midnight-both-days-open",
        "over-midnight-into-a-closed-day",
        "overnight-when-closed-at-night",
    ],
)
def test_a_booking_fits_inside_the_opening_hours(policy, day, start, end, end_day, expected):
    reasons = check(ask(day, start, end, end_day=end_day), policy)
    hours = [reason for reason in reasons if reason.code == "closed_hours"]
    assert [reason.field for reason in hours] == ([] if expected is None else [expected])
    assert codes(reasons) == codes(hours)


@pytest.mark.parametrize(
    ("policy", "day", "start", "end", "end_day", "text"),
    [
        (ROOM, TUESDAY, "18:00", "19:30", None, "Le mardi, la salle est ouverte de 08:00 à 19:00."),
        (ROOM, SUNDAY, "10:00", "12:00", None, "La salle est fermée le dimanche."),
        (
            ROOM,
            SATURDAY,
            "11:00",
            "15:00",
            None,
            "Le samedi, la salle est ouverte de 09:00 à 12:00 et de 14:00 à 18:00.",
        ),
        (NIGHT_ROOM, SUNDAY, "22:00", "01:00", date(2026, 11, 30), "La salle est fermée le lundi."),
        (TABLES, SUNDAY, "10:00", "12:00", None, "Le matériel ne se réserve pas le dimanche."),
    ],
    ids=["evening", "sunday", "lunch-break", "closed-next-day", "equipment"],
)
def test_the_hours_message_gives_that_days_hours(policy, day, start, end, end_day, text):
    [reason] = check(ask(day, start, end, end_day=end_day), policy)
    assert reason.message == "Ce créneau sort des horaires d'ouverture. " + text


def test_hours_of_a_day_open_until_midnight():
    assert (
        opening_hours_text(NIGHT_ROOM, 4) == "Le vendredi, la salle est ouverte de 18:00 à minuit."
    )


# --- Grid, duration, notice, horizon ---------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "fields"),
    [
        ("10:30", "11:30", []),
        ("10:15", "11:30", ["start"]),
        ("10:30", "11:45", ["end"]),
        ("10:10", "11:50", ["start", "end"]),
    ],
    ids=["on-the-grid", "start-off-grid", "end-off-grid", "both-off-grid"],
)
def test_start_and_end_sit_on_the_half_hour_grid(start, end, fields):
    reasons = check(ask(TUESDAY, start, end))
    assert [(r.code, r.field) for r in reasons] == [("granularity", f) for f in fields]


def test_the_grid_message_proposes_nearby_times():
    [reason] = check(ask(TUESDAY, "10:15", "11:30"))
    assert reason.message == (
        "Les réservations se font par tranches de 30 min : "
        "choisissez une heure de début comme 10:00 ou 10:30."
    )


def test_seconds_are_off_the_grid():
    req = replace(ask(TUESDAY, "10:00", "11:00"), start=at(TUESDAY, "10:00") + timedelta(seconds=5))
    assert codes(check(req)) == ["granularity"]


@pytest.mark.parametrize(
    ("end", "expected"),
    [("10:30", ["too_short"]), ("11:00", []), ("14:00", []), ("14:30", ["too_long"])],
    ids=["under-an-hour", "exactly-the-minimum", "exactly-the-maximum", "over-the-maximum"],
)
def test_a_booking_lasts_between_one_and_four_hours(end, expected):
    policy = replace(ROOM, min_duration=60, max_duration=240)
    reasons = check(ask(TUESDAY, "10:00", end), policy)
    assert codes(reasons) == expected


def test_duration_messages():
    policy = replace(ROOM, min_duration=90, max_duration=120)
    assert check(ask(TUESDAY, "10:00", "11:00"), policy)[0].message == (
        "Une réservation dure au moins 1 h 30."
    )
    assert check(ask(TUESDAY, "10:00", "13:00"), policy)[0].message == (
        "Une réservation ne peut pas dépasser 2 h."
    )


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("11:00", "12:00", []),
        ("11:30", "12:00", []),
        ("10:30", "11:30", ["notice"]),
        ("08:00", "09:00", ["past"]),
    ],
    ids=["exactly-two-hours-ahead", "more-than-two-hours", "too-soon", "already-past"],
)
def test_a_booking_is_made_at_least_two_hours_ahead(start, end, expected):
    policy = replace(ROOM, min_notice=120)
    reasons = check(ask(date(2026, 11, 20), start, end), policy)
    assert codes(reasons) == expected
    if expected == ["notice"]:
        assert reasons[0].message == "Il faut réserver au moins 2 h à l'avance."


@pytest.mark.parametrize(
    ("now", "day", "expected"),
    [
        (NOW, date(2026, 12, 21), []),
        (NOW, date(2026, 12, 22), ["too_far"]),
        # 23:30 UTC on the 20th is already 00:30 on the 21st in Paris, so one more day is open.
        (datetime(2026, 11, 20, 23, 30, tzinfo=UTC), date(2026, 12, 22), []),
    ],
    ids=["last-bookable-day", "one-day-too-far", "today-is-the-local-day"],
)
def test_bookings_open_31_days_ahead(now, day, expected):
    policy = replace(ROOM, max_days_ahead=31)
    reasons = check(ask(day, "10:00", "11:00"), policy, now=now)
    assert codes(reasons) == expected


def test_the_horizon_message_gives_the_last_day():
    policy = replace(ROOM, max_days_ahead=31)
    [reason] = check(ask(date(2026, 12, 22), "10:00", "11:00"), policy)
    assert (
        reason.message
        == "On ne peut pas réserver plus de 31 jours à l'avance (jusqu'au 21/12/2026)."
    )


@pytest.mark.parametrize(
    ("start", "end"),
    [("12:00", "10:00"), ("10:00", "10:00")],
    ids=["end-before-start", "no-length"],
)
def test_the_end_comes_after_the_start(start, end):
    assert check(ask(TUESDAY, start, end)) == [
        Reason("order", "end", "La fin doit venir après le début.")
    ]


# --- Closures, kinds, membership --------------------------------------------------------------

HOLIDAYS = ClosurePeriod(
    start=at(date(2026, 12, 24), "00:00"),
    end=at(date(2027, 1, 2), "00:00"),
    reason="Fêtes de fin d'année",
)
WORKS = ClosurePeriod(start=at(TUESDAY, "08:00"), end=at(TUESDAY, "12:00"), reason="")


@pytest.mark.parametrize(
    ("req", "closure", "message"),
    [
        (
            ask(date(2026, 12, 28), "10:00", "12:00"),
            HOLIDAYS,
            "Fermeture du jeu. 24/12 au ven. 01/01 : Fêtes de fin d'année.",
        ),
        (ask(TUESDAY, "11:00", "13:00"), WORKS, "Fermeture le mar. 24/11 de 08:00 à 12:00."),
        (ask(TUESDAY, "12:00", "13:00"), WORKS, None),
        (ask(date(2027, 1, 2), "10:00", "12:00"), HOLIDAYS, None),
    ],
    ids=["during-holidays", "during-works", "right-after-works", "day-after-holidays"],
)
def test_closures_block_bookings(req, closure, message):
    reasons = check(
        req,
        policy=ROUND_THE_CLOCK,
        closures=[closure],
    )
    assert reasons == ([] if message is None else [Reason("closure", "start", message)])


@pytest.mark.parametrize(
    ("policy", "kind", "message"),
    [
        (ROOM, "association", None),
        (ROOM, "ccas", None),
        (ROOM, "partner", "Cette salle n'est pas ouverte aux partenaires."),
        (
            replace(ROOM, allowed_kinds=frozenset({"partner"})),
            "ccas",
            "Cette salle n'est pas ouverte au CCAS.",
        ),
        (TABLES, "partner", "Ce matériel n'est pas prêté aux partenaires."),
    ],
    ids=["association", "ccas", "partner-refused", "ccas-refused", "equipment"],
)
def test_only_allowed_kinds_of_organisation_may_book(policy, kind, message):
    reasons = check(ask(TUESDAY, "10:00", "11:00", kind=kind), policy)
    assert reasons == ([] if message is None else [Reason("kind", "organisation", message)])


@pytest.mark.parametrize(
    ("member", "manager", "allowed"),
    [(True, False, True), (False, True, True), (True, True, True), (False, False, False)],
    ids=["member", "manager-for-any-organisation", "member-and-manager", "stranger"],
)
def test_people_book_for_their_own_organisation_unless_they_manage_the_building(
    member, manager, allowed
):
    reasons = check(ask(TUESDAY, "10:00", "11:00", member=member, manager=manager))
    assert codes(reasons) == ([] if allowed else ["membership"])


def test_every_reason_is_given_at_once():
    policy = replace(ROOM, min_notice=60, max_days_ahead=3)
    taken = booked(SUNDAY, "09:00", "10:00")
    req = ask(SUNDAY, "09:15", "09:45", kind="partner", member=False)
    reasons = check(req, replace(policy, min_duration=60), occupied=[taken])
    assert codes(reasons) == [
        "kind",
        "membership",
        "too_far",
        "granularity",
        "granularity",
        "too_short",
        "closed_hours",
        "overlap",
    ]


def test_naive_datetimes_are_a_programming_error():
    req = replace(ask(TUESDAY, "10:00", "11:00"), start=datetime(2026, 11, 24, 10, 0))
    with pytest.raises(ValueError):
        check(req)


def test_a_skipped_wall_time_becomes_a_form_reason():
    with pytest.raises(NonexistentLocalTime) as caught:
        local_to_utc(date(2026, 3, 29), time(2, 30), PARIS)
    reason = nonexistent_time_reason(caught.value, "start")
    assert reason.code == "nonexistent_time"
    assert reason.field == "start"
    assert "n'existe pas" in reason.message


# --- Clock changes -------------------------------------------------------------------------------

SPRING = date(2026, 3, 29)
AUTUMN = date(2026, 10, 25)
DST_NOW = local_to_utc(date(2026, 3, 1), time(9, 0), PARIS)
ALWAYS_OPEN_SUNDAY = replace(ROOM, opening_hours={6: [(0, 1440)]}, max_days_ahead=365)


@pytest.mark.parametrize(
    ("day", "min_duration", "max_duration", "expected"),
    [
        (SPRING, 0, 180, []),
        (SPRING, 180, 600, ["too_short"]),
        (AUTUMN, 0, 180, ["too_long"]),
        (AUTUMN, 240, 600, []),
    ],
    ids=[
        "spring-2h-fits-3h-max",
        "spring-2h-under-3h-min",
        "autumn-4h-over-3h-max",
        "autumn-4h-ok",
    ],
)
def test_durations_count_real_time_on_clock_change_nights(
    day, min_duration, max_duration, expected
):
    policy = replace(ALWAYS_OPEN_SUNDAY, min_duration=min_duration, max_duration=max_duration)
    assert codes(check(ask(day, "01:00", "04:00"), policy, now=DST_NOW)) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (local_to_utc(AUTUMN, time(2, 30), PARIS), local_to_utc(AUTUMN, time(4, 0), PARIS), []),
        (  # the second 02:30 of the night (winter time) is still on the local grid
            local_to_utc(AUTUMN, time(2, 30), PARIS) + timedelta(hours=1),
            local_to_utc(AUTUMN, time(4, 0), PARIS),
            [],
        ),
        (local_to_utc(SPRING, time(3, 0), PARIS), local_to_utc(SPRING, time(4, 0), PARIS), []),
        (local_to_utc(SPRING, time(1, 30), PARIS), local_to_utc(SPRING, time(3, 30), PARIS), []),
        (
            local_to_utc(SPRING, time(3, 0), PARIS),
            local_to_utc(SPRING, time(4, 15), PARIS),
            ["granularity"],
        ),
    ],
    ids=[
        "autumn-first-02h30",
        "autumn-second-02h30",
        "spring-03h00",
        "spring-over-the-jump",
        "spring-04h15-off-grid",
    ],
)
def test_the_grid_follows_the_wall_clock_on_clock_change_nights(start, end, expected):
    req = replace(ask(SPRING, "10:00", "11:00"), start=start, end=end)
    assert codes(check(req, ALWAYS_OPEN_SUNDAY, now=DST_NOW)) == expected


@pytest.mark.parametrize(
    ("day", "start", "end", "expected"),
    [
        (SPRING, "08:00", "19:00", []),
        (SPRING, "07:00", "08:00", ["closed_hours"]),
        (AUTUMN, "18:00", "19:00", []),
        (AUTUMN, "19:00", "20:00", ["closed_hours"]),
    ],
    ids=["spring-whole-day", "spring-before-opening", "autumn-evening", "autumn-after-closing"],
)
def test_opening_hours_follow_the_wall_clock_on_clock_change_days(day, start, end, expected):
    policy = replace(
        ROOM, opening_hours={6: [(480, 1140)]}, max_duration=24 * 60, max_days_ahead=365
    )
    assert codes(check(ask(day, start, end), policy, now=DST_NOW)) == expected


def test_an_opening_inside_the_skipped_hour_starts_when_the_clocks_jump():
    policy = replace(ALWAYS_OPEN_SUNDAY, opening_hours={6: [(120, 360)]})
    assert codes(check(ask(SPRING, "03:00", "06:00"), policy, now=DST_NOW)) == []
    assert codes(check(ask(SPRING, "01:30", "03:30"), policy, now=DST_NOW)) == ["closed_hours"]


# --- Suggestions -------------------------------------------------------------------------------


def local_starts(slots: list[tuple[datetime, datetime]]) -> list[str]:
    return [f"{to_local(start, PARIS):%H:%M}" for start, _ in slots]


def suggest(policy, occupied, day, around, hours=1, limit=3, quantity=1, kind="association"):
    return suggest_free_times(
        policy,
        occupied,
        [],
        day,
        timedelta(hours=hours),
        quantity,
        at(day, around),
        NOW,
        kind,
        limit,
    )


@pytest.mark.parametrize(
    ("policy", "day", "around", "occupied", "expected"),
    [
        (ROOM, TUESDAY, "11:00", [booked(TUESDAY, "10:00", "12:00")], ["12:00", "12:30", "09:00"]),
        (
            KITCHEN,
            TUESDAY,
            "11:00",
            [booked(TUESDAY, "10:00", "12:00")],
            ["12:30", "13:00", "08:30"],
        ),
        (ROOM, TUESDAY, "18:30", [], ["18:00", "17:30", "17:00"]),
        (ROOM, SATURDAY, "13:00", [], ["14:00", "14:30", "11:00"]),
        (ROOM, SUNDAY, "10:00", [], []),
        (ROOM, TUESDAY, "10:00", [], ["10:00", "09:30", "10:30"]),
    ],
    ids=[
        "nearest-around-a-taken-slot",
        "respecting-the-cleaning-time",
        "not-past-closing-time",
        "around-the-lunch-break",
        "none-on-a-closed-day",
        "the-wished-time-itself-when-free",
    ],
)
def test_free_times_are_suggested_nearest_first(policy, day, around, occupied, expected):
    slots = suggest(policy, occupied, day, around)
    assert local_starts(slots) == expected
    for start, end in slots:
        assert end - start == timedelta(hours=1)


def test_suggestions_never_offer_the_taken_slot_and_all_are_bookable():
    taken = booked(TUESDAY, "10:00", "12:00")
    slots = suggest(KITCHEN, [taken], TUESDAY, "10:00", limit=50)
    assert (at(TUESDAY, "10:00"), at(TUESDAY, "11:00")) not in slots
    assert len(slots) == 14  # 08:00, 08:30 and every half hour from 12:30 to 18:00
    for start, end in slots:
        req = BookingRequest(start, end, 1, "association", True, False)
        assert check(req, KITCHEN, [taken]) == []


def test_suggestions_for_pooled_equipment_respect_the_stock():
    lent = [booked(TUESDAY, "09:00", "12:00", 8)]
    slots = suggest(TABLES, lent, TUESDAY, "10:00", quantity=3)
    assert local_starts(slots) == ["08:00", "12:00", "12:30"]


def test_no_suggestion_for_a_kind_that_may_not_book():
    assert suggest(ROOM, [], TUESDAY, "10:00", kind="partner") == []


# --- Approval and changes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requires_approval", "by_manager", "expected"),
    [(True, False, True), (True, True, False), (False, False, False), (False, True, False)],
    ids=["on-request", "manager-books-it", "free-room", "free-room-manager"],
)
def test_a_room_on_request_waits_for_approval_unless_the_manager_books_it(
    requires_approval, by_manager, expected
):
    assert needs_approval(requires_approval, by_manager) is expected


@pytest.mark.parametrize(
    ("status", "moved", "requires_approval", "by_manager", "expected"),
    [
        ("confirmed", True, True, False, "pending"),
        ("confirmed", False, True, False, "confirmed"),
        ("confirmed", True, True, True, "confirmed"),
        ("confirmed", True, False, False, "confirmed"),
        ("pending", True, True, False, "pending"),
        ("pending", True, True, True, "pending"),
    ],
    ids=[
        "moved-on-request",
        "details-only",
        "moved-by-manager",
        "moved-free-room",
        "still-pending",
        "manager-moves-pending",
    ],
)
def test_a_moved_booking_goes_back_to_pending(
    status, moved, requires_approval, by_manager, expected
):
    assert status_after_move(status, moved, requires_approval, by_manager) == expected


@pytest.mark.parametrize(
    ("other", "buffer", "is_room", "clashes"),
    [
        (("12:00", "14:00"), 0, True, False),
        (("12:00", "14:00"), 30, True, True),
        (("12:30", "14:00"), 30, True, False),
        (("08:00", "09:30"), 30, True, False),
        (("07:00", "09:45"), 30, True, True),
        (("11:00", "13:00"), 0, True, True),
        (("11:00", "13:00"), 0, False, False),
    ],
    ids=[
        "touching",
        "touching-within-cleaning",
        "after-cleaning",
        "cleaned-before",
        "cleaning-before-overlaps",
        "overlapping",
        "equipment-shares",
    ],
)
def test_two_dates_of_one_series_must_not_clash_cleaning_included(other, buffer, is_room, clashes):
    reason = clash_within_series(
        at(TUESDAY, "10:00"),
        at(TUESDAY, "12:00"),
        [(at(TUESDAY, other[0]), at(TUESDAY, other[1]))],
        timedelta(minutes=buffer),
        is_room,
    )
    assert (reason is not None) is clashes
    if clashes:
        assert (reason.code, reason.field) == ("overlap", "start")


@pytest.mark.parametrize(
    ("occurrence_day", "new_day", "hours", "expected"),
    [
        (date(2026, 10, 20), date(2026, 10, 27), ("14:00", "16:00"), ("14:00", "16:00")),
        (date(2026, 10, 27), date(2026, 10, 20), ("09:00", "10:30"), ("09:00", "10:30")),
        (date(2026, 3, 24), date(2026, 3, 31), ("14:00", "16:00"), ("14:00", "16:00")),
        (date(2026, 11, 24), date(2026, 11, 24), ("23:00", "00:30"), ("23:00", "00:30")),
    ],
    ids=["across-autumn-change", "back-across-it", "across-spring-change", "past-midnight"],
)
def test_a_series_move_keeps_wall_clock_times(occurrence_day, new_day, hours, expected):
    new_start = at(new_day, hours[0])
    end_day = new_day + timedelta(days=1) if hours[1] < hours[0] else new_day
    new_end = at(end_day, hours[1])
    start, end = keep_wall_times(at(occurrence_day, "10:00"), new_start, new_end, PARIS)
    assert to_local(start, PARIS).date() == occurrence_day
    assert (f"{to_local(start, PARIS):%H:%M}", f"{to_local(end, PARIS):%H:%M}") == expected
    assert end - start == new_end - new_start or new_day != occurrence_day


def test_a_series_move_to_an_hour_that_does_not_exist_that_day_is_refused():
    spring_forward = date(2026, 3, 29)
    with pytest.raises(NonexistentLocalTime):
        keep_wall_times(
            at(spring_forward, "10:00"),
            at(date(2026, 3, 22), "02:30"),
            at(date(2026, 3, 22), "03:30"),
            PARIS,
        )
