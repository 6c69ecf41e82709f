"""Permanence rules, pure: slots in wall time, pauses, clock changes, fair share, window."""

from __future__ import annotations

import ast
import importlib.util
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from pole.permanences import rules

PARIS = ZoneInfo("Europe/Paris")
THURSDAY = date(2026, 3, 12)
SHARE = rules.FairShare(limit=2, hours=48)
BOOKING_RULES = Path(importlib.util.find_spec("pole.bookings.rules").origin).parent


def pattern(**overrides) -> rules.Pattern:
    fields = {
        "valid_from": date(2026, 1, 1),
        "until": date(2026, 12, 31),
        "weekdays": frozenset({3}),
        "start": time(14, 0),
        "end": time(17, 0),
        "slot_minutes": 30,
    }
    return rules.Pattern(**{**fields, **overrides})


def labels(slots: list[rules.Slot]) -> list[str]:
    return [s.label for s in slots]


def paris(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=PARIS).astimezone(UTC)


def test_rules_import_neither_flask_nor_the_database():
    pure = {
        "pole.bookings.rules",
        *(f"pole.bookings.rules.{m.stem}" for m in BOOKING_RULES.glob("*.py") if m.stem[0] != "_"),
        "pole.permanences.rules",
        "pole.permanences.patterns",
        "pole.timeutil",
        "pole.core.refusals",
        "pole.formatting",
    }
    for name in pure:
        tree = ast.parse(Path(importlib.util.find_spec(name).origin).read_text())
        imported = {
            node.module if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        }
        assert not {m for m in imported if m.split(".")[0] in ("flask", "sqlalchemy")}, name
        assert {m for m in imported if m.startswith("pole")} <= pure, name


# Laying out slots -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, ["14:00", "14:30", "15:00", "15:30", "16:00", "16:30"]),
        ({"slot_minutes": 45}, ["14:00", "14:45", "15:30", "16:15"]),
        ({"slot_minutes": 60, "end": time(16, 30)}, ["14:00", "15:00"]),
        (
            {"pause_start": time(15, 30), "pause_end": time(15, 45)},
            ["14:00", "14:30", "15:00", "15:45", "16:15"],
        ),
        (
            {"slot_minutes": 20, "pause_start": time(15, 0), "pause_end": time(15, 20)},
            ["14:00", "14:20", "14:40", "15:20", "15:40", "16:00", "16:20", "16:40"],
        ),
        (
            {"slot_minutes": 15, "start": time(9, 0), "end": time(10, 0)},
            ["09:00", "09:15", "09:30", "09:45"],
        ),
    ],
    ids=["30-min", "45-min", "partial-last-slot-dropped", "pause", "20-min-pause", "15-min"],
)
def test_slots_fill_the_hours_and_start_again_after_the_pause(overrides, expected):
    slots = rules.day_slots(pattern(**overrides), THURSDAY, PARIS)
    assert labels(slots) == expected
    length = timedelta(minutes=pattern(**overrides).slot_minutes)
    assert all(s.end - s.start == length for s in slots)


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        (date(2026, 3, 22), 13),  # winter: UTC+1
        (date(2026, 3, 29), 12),  # spring-forward day: already summer time at 14:00
        (date(2026, 10, 18), 12),  # summer: UTC+2
        (date(2026, 10, 25), 13),  # fall-back day: winter time again at 14:00
    ],
    ids=["before-spring", "spring-day", "before-autumn", "autumn-day"],
)
def test_an_afternoon_permanence_stays_at_14_00_on_clock_change_days(day, utc_hour):
    sunday = pattern(weekdays=frozenset({6}))
    slots = rules.day_slots(sunday, day, PARIS)
    assert labels(slots)[0] == "14:00"
    assert slots[0].start == datetime(day.year, day.month, day.day, utc_hour, tzinfo=UTC)
    assert len(slots) == 6
    assert all(s.end - s.start == timedelta(minutes=30) for s in slots)


def test_the_spring_night_has_no_slot_in_the_hour_that_does_not_exist():
    night = pattern(weekdays=frozenset({6}), start=time(1, 0), end=time(4, 0))
    slots = rules.day_slots(night, date(2026, 3, 29), PARIS)
    assert labels(slots) == ["01:00", "01:30", "03:00", "03:30"]
    assert all(s.end - s.start == timedelta(minutes=30) for s in slots)


def test_the_autumn_night_starts_slots_at_the_first_of_the_repeated_hours():
    night = pattern(weekdays=frozenset({6}), start=time(1, 0), end=time(4, 0))
    slots = rules.day_slots(night, date(2026, 10, 25), PARIS)
    assert labels(slots) == ["01:00", "01:30", "02:00", "02:30", "03:00", "03:30"]
    assert slots[3].start == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 summer time
    assert slots[4].start == datetime(2026, 10, 25, 2, 0, tzinfo=UTC)  # 03:00 winter time
    assert all(s.end - s.start == timedelta(minutes=30) for s in slots)


def test_session_bounds_follow_the_wall_clock():
    start, end = rules.session_bounds(pattern(), THURSDAY, PARIS)
    assert (start, end) == (paris(THURSDAY, 14), paris(THURSDAY, 17))


# Which days -------------------------------------------------------------------------------------


def test_a_cancelled_date_has_no_slots():
    days = rules.session_days(
        [pattern()], date(2026, 3, 1), date(2026, 3, 31), cancelled={date(2026, 3, 19)}
    )
    assert [d for d, _ in days] == [date(2026, 3, 5), date(2026, 3, 12), date(2026, 3, 26)]
    slots = rules.slots_between(
        [pattern()], date(2026, 3, 19), date(2026, 3, 19), PARIS, cancelled={date(2026, 3, 19)}
    )
    assert slots == []


def test_a_date_skipped_when_publishing_is_not_held():
    skipped = pattern(skipped=frozenset({date(2026, 3, 12)}))
    assert not skipped.holds_on(date(2026, 3, 12))
    assert skipped.holds_on(date(2026, 3, 19))


def test_blocked_slots_are_left_out():
    blocked = {paris(THURSDAY, 14, 30)}
    slots = rules.slots_between([pattern()], THURSDAY, THURSDAY, PARIS, blocked=blocked)
    assert labels(slots) == ["14:00", "15:00", "15:30", "16:00", "16:30"]


def test_a_pattern_change_applies_from_its_date_and_not_before():
    old = pattern(until=date(2026, 3, 15))
    new = pattern(
        valid_from=date(2026, 3, 16),
        weekdays=frozenset({1, 3}),
        start=time(9, 0),
        end=time(10, 0),
        slot_minutes=20,
    )
    days = rules.session_days([new, old], date(2026, 3, 9), date(2026, 3, 22))
    assert [(d, p.start) for d, p in days] == [
        (date(2026, 3, 12), time(14, 0)),
        (date(2026, 3, 17), time(9, 0)),
        (date(2026, 3, 19), time(9, 0)),
    ]
    later = rules.slots_between([old, new], date(2026, 3, 19), date(2026, 3, 19), PARIS)
    assert labels(later) == ["09:00", "09:20", "09:40"]


def test_the_pattern_in_force_is_the_latest_started_one():
    old, new = pattern(), pattern(valid_from=date(2026, 6, 1), start=time(9, 0))
    assert rules.pattern_on([old, new], date(2026, 5, 31)) is old
    assert rules.pattern_on([old, new], date(2026, 6, 1)) is new
    assert rules.pattern_on([old, new], date(2027, 1, 1)) is None


# Checking a pattern -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"weekdays": frozenset()}, "weekdays"),
        ({"end": time(14, 0)}, "end_time"),
        ({"slot_minutes": 25}, "slot_minutes"),
        ({"until": date(2025, 12, 31)}, "until"),
        ({"pause_start": time(15, 0)}, "pause_end"),
        ({"pause_start": time(15, 0), "pause_end": time(14, 30)}, "pause_end"),
        ({"pause_start": time(13, 0), "pause_end": time(14, 30)}, "pause_start"),
        ({"pause_start": time(16, 30), "pause_end": time(17, 0)}, "pause_start"),
        ({"end": time(14, 45), "slot_minutes": 60}, "slot_minutes"),
    ],
    ids=[
        "no-day",
        "end-before-start",
        "odd-length",
        "until-before-start",
        "half-a-pause",
        "pause-backwards",
        "pause-before-start",
        "pause-at-the-end",
        "no-slot-fits",
    ],
)
def test_a_wrong_pattern_is_refused_beside_the_field(overrides, field):
    reasons = rules.check_pattern(pattern(**overrides), 21, SHARE)
    assert [r.field for r in reasons] == [field]


def test_a_good_pattern_has_no_reason():
    good = pattern(pause_start=time(15, 30), pause_end=time(15, 45))
    assert rules.check_pattern(good, 21, SHARE) == []


@pytest.mark.parametrize(
    ("days", "limit", "hours", "field"),
    [
        (0, 2, 48, "open_days_ahead"),
        (21, 0, 48, "fair_share_limit"),
        (21, 2, -1, "fair_share_hours"),
    ],
    ids=["window-zero", "limit-zero", "negative-hours"],
)
def test_booking_settings_must_make_sense(days, limit, hours, field):
    reasons = rules.check_pattern(pattern(), days, rules.FairShare(limit, hours))
    assert [r.field for r in reasons] == [field]


# Fair share and opening window ------------------------------------------------------------------

SESSION_START = paris(THURSDAY, 14)
SLOT = rules.day_slots(pattern(), THURSDAY, PARIS)[2]  # 15:00


@pytest.mark.parametrize(
    ("held", "before_start", "refused"),
    [
        (1, timedelta(days=5), False),
        (2, timedelta(days=5), True),
        (2, timedelta(hours=48, minutes=1), True),
        (2, timedelta(hours=48), False),
        (2, timedelta(hours=47, minutes=59), False),
        (5, timedelta(hours=1), False),
    ],
    ids=[
        "under-the-limit",
        "at-the-limit",
        "a-minute-before-it-lifts",
        "exactly-48h-before",
        "inside-48h",
        "last-hour-anything-goes",
    ],
)
def test_fair_share_holds_until_48_hours_before_the_permanence(held, before_start, refused):
    reason = rules.check_fair_share(held, SESSION_START, SHARE, SESSION_START - before_start)
    assert (reason is not None) == refused


def test_the_fair_share_refusal_says_why_and_until_when():
    reason = rules.check_fair_share(2, SESSION_START, SHARE, SESSION_START - timedelta(days=3))
    assert reason.message == (
        "Votre association a déjà 2 créneaux sur cette permanence ; "
        "les créneaux restants s'ouvrent à tous 48 h avant."
    )
    one = rules.check_fair_share(1, SESSION_START, rules.FairShare(1, 24), SESSION_START)
    assert one is None
    one = rules.check_fair_share(
        1, SESSION_START, rules.FairShare(1, 24), SESSION_START - timedelta(days=2)
    )
    assert one.message.startswith("Votre association a déjà 1 créneau sur")
    assert "24 h avant" in one.message


@pytest.mark.parametrize(
    ("now", "refused"),
    [
        (paris(THURSDAY - timedelta(days=22), 23, 59), True),
        (paris(THURSDAY - timedelta(days=21), 0, 0), False),
        (paris(THURSDAY - timedelta(days=21), 8, 0), False),
        (paris(THURSDAY - timedelta(days=1), 12, 0), False),
    ],
    ids=["the-night-before-opening", "opening-midnight", "opening-day", "day-before"],
)
def test_slots_open_21_days_ahead_at_local_midnight(now, refused):
    reason = rules.check_window(SLOT, 21, PARIS, now)
    assert (reason is not None) == refused


def test_the_window_refusal_says_when_the_slot_opens():
    reason = rules.check_window(SLOT, 21, PARIS, paris(date(2026, 2, 1), 10))
    assert reason.message == (
        "Les créneaux de cette permanence s'ouvrent 21 jours à l'avance : "
        "celui du jeu. 12/03 sera réservable à partir du jeu. 19/02."
    )


def test_window_and_fair_share_add_up_and_a_past_or_taken_slot_says_only_that():
    now = paris(date(2026, 2, 1), 10)
    both = rules.check_appointment(
        SLOT,
        SESSION_START,
        held=2,
        taken=False,
        open_days_ahead=21,
        fair_share=SHARE,
        tz=PARIS,
        now=now,
    )
    assert [r.code for r in both] == ["window", "fair_share"]
    kwargs = {"held": 0, "open_days_ahead": 21, "fair_share": SHARE, "tz": PARIS}
    taken = rules.check_appointment(SLOT, SESSION_START, taken=True, now=now, **kwargs)
    assert taken == [rules.TAKEN]
    past = rules.check_appointment(SLOT, SESSION_START, taken=True, now=SLOT.start, **kwargs)
    assert [r.code for r in past] == ["past"]


@pytest.mark.parametrize(
    ("now", "allowed"),
    [
        (SLOT.start - timedelta(minutes=1), True),
        (SLOT.start, False),
        (SLOT.start + timedelta(minutes=10), False),
    ],
    ids=["a-minute-before", "at-the-start", "during"],
)
def test_an_appointment_can_be_cancelled_until_the_slot_starts(now, allowed):
    assert (rules.check_cancel(SLOT.start, now) is None) == allowed


def appointment(status: str = "booked", organisation_id: int = 1, **fields) -> SimpleNamespace:
    """An appointment as the rules read it: its status, association and times."""
    return SimpleNamespace(
        status=status,
        organisation_id=organisation_id,
        start=fields.get("start", SLOT.start),
        end=fields.get("end", SLOT.end),
    )


@pytest.mark.parametrize(
    ("status", "now", "allowed"),
    [
        ("booked", SLOT.start - timedelta(minutes=1), True),
        ("booked", SLOT.start, False),
        ("booked", SLOT.end, False),
        ("cancelled", SLOT.start - timedelta(days=1), False),
        ("seen", SLOT.start - timedelta(minutes=1), False),
        ("no_show", SLOT.start - timedelta(minutes=1), False),
    ],
    ids=[
        "booked-a-minute-before",
        "booked-at-the-start",
        "booked-after",
        "cancelled",
        "seen",
        "no-show",
    ],
)
def test_an_association_cancels_a_booked_appointment_until_its_slot_starts(status, now, allowed):
    assert rules.can_cancel(appointment(status), now) == allowed


SESSION_END = paris(THURSDAY, 17)


@pytest.mark.parametrize(
    ("already", "now", "code"),
    [
        (False, SESSION_END - timedelta(days=3), None),
        (False, SESSION_END - timedelta(minutes=1), None),
        (False, SESSION_END, "past"),
        (False, SESSION_END + timedelta(days=1), "past"),
        (True, SESSION_END - timedelta(days=3), "already"),
        (True, SESSION_END + timedelta(days=1), "already"),
    ],
    ids=["days-before", "a-minute-before-the-end", "at-the-end", "after", "twice", "twice-late"],
)
def test_a_date_is_called_off_once_and_until_the_permanence_ends(already, now, code):
    reason = rules.check_call_off(already, SESSION_END, now)
    assert (reason.code if reason else None) == code
    session = SimpleNamespace(is_cancelled=already, end=SESSION_END)
    assert rules.can_call_off(session, now) == (code is None)


BEFORE = SLOT.start - timedelta(days=1)


@pytest.mark.parametrize(
    ("day_cancelled", "held_by", "blocked", "now", "state"),
    [
        (False, None, False, BEFORE, "free"),
        (False, None, False, SLOT.start, "past"),
        (False, None, True, BEFORE, "blocked"),
        (False, None, True, SLOT.end, "blocked"),
        (False, 1, False, BEFORE, "mine"),
        (False, 1, False, SLOT.end, "mine"),
        (False, 2, False, BEFORE, "taken"),
        (False, 2, False, SLOT.end, "taken"),
        (True, None, False, BEFORE, "cancelled"),
        (True, 1, False, BEFORE, "cancelled"),
        (True, None, True, SLOT.end, "cancelled"),
    ],
    ids=[
        "free",
        "past-at-its-start",
        "blocked",
        "blocked-stays-blocked-when-past",
        "ours",
        "ours-once-past",
        "taken-by-another",
        "taken-once-past",
        "cancelled-date",
        "cancelled-date-outweighs-ours",
        "cancelled-date-outweighs-blocked-and-past",
    ],
)
def test_a_slot_looks_free_mine_taken_blocked_past_or_cancelled(
    day_cancelled, held_by, blocked, now, state
):
    held = appointment(organisation_id=held_by) if held_by else None
    found = rules.slot_state(
        start=SLOT.start,
        day_cancelled=day_cancelled,
        appointment=held,
        organisation_ids={1, 3},
        blocked=blocked,
        now=now,
    )
    assert found == state


@pytest.mark.parametrize(
    ("keeps_the_sheet", "organisation_ids", "allowed"),
    [
        (True, set(), True),
        (False, {1}, True),
        (False, {3, 1}, True),
        (False, {2}, False),
        (False, set(), False),
    ],
    ids=[
        "the-social-worker",
        "the-booking-association",
        "a-member-of-several",
        "another",
        "nobody",
    ],
)
def test_only_the_social_worker_and_the_booking_association_read_the_reference(
    keeps_the_sheet, organisation_ids, allowed
):
    found = rules.can_see_reference(
        appointment(organisation_id=1),
        keeps_the_sheet=keeps_the_sheet,
        organisation_ids=organisation_ids,
    )
    assert found == allowed


@pytest.mark.parametrize(
    ("day_cancelled", "blocked", "code"),
    [
        (False, False, None),
        (True, False, "cancelled"),
        (False, True, "blocked"),
        (True, True, "cancelled"),
    ],
    ids=["open", "cancelled-date", "blocked-slot", "cancelled-date-first"],
)
def test_a_slot_is_not_booked_on_a_cancelled_date_nor_when_blocked(day_cancelled, blocked, code):
    reason = rules.check_slot_open(day_cancelled, blocked)
    assert (reason.code if reason else None) == code


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({}, []),
        ({"purpose": "voyage"}, ["purpose"]),
        ({"for_whom": "cousin"}, ["for_whom"]),
        ({"beneficiary_ref": "x" * 21}, ["beneficiary_ref"]),
        ({"note": "x" * 300}, []),
        ({"note": "x" * 301}, ["note"]),
        ({"purpose": "", "for_whom": "", "note": "x" * 301}, ["purpose", "for_whom", "note"]),
    ],
    ids=[
        "good",
        "unknown-purpose",
        "unknown-for-whom",
        "long-reference",
        "note-300",
        "note-301",
        "all",
    ],
)
def test_an_appointment_says_what_and_for_whom_and_stays_short(overrides, fields):
    data = {"purpose": "logement", "for_whom": "beneficiary", "beneficiary_ref": "M.D.", "note": ""}
    reasons = rules.check_appointment_data(**{**data, **overrides})
    assert [r.field for r in reasons] == fields


OPEN = SESSION_START - timedelta(days=3)  # within the window, before the fair share lifts


@pytest.mark.parametrize(
    ("state", "held_by_each", "now", "codes"),
    [
        ("free", [0], OPEN, []),
        ("free", [2], OPEN, ["fair_share"]),
        ("free", [2, 2], OPEN, ["fair_share"]),
        ("free", [2, 1], OPEN, []),
        ("free", [], OPEN, []),
        ("free", [2], SESSION_START - timedelta(hours=47), []),
        ("free", [2], paris(date(2026, 2, 1), 10), ["window"]),
        ("taken", [2], OPEN, []),
        ("mine", [2], paris(date(2026, 2, 1), 10), []),
    ],
    ids=[
        "bookable",
        "share-used",
        "every-association-used-its-share",
        "another-association-still-may",
        "no-association",
        "share-lifted",
        "window-closed-shown-first",
        "not-free",
        "ours",
    ],
)
def test_a_free_slot_says_why_it_cannot_be_booked_yet(state, held_by_each, now, codes):
    reasons = rules.why_not_bookable(
        SLOT,
        state,
        session_start=SESSION_START,
        held_by_each=held_by_each,
        open_days_ahead=21,
        fair_share=SHARE,
        tz=PARIS,
        now=now,
    )
    assert [r.code for r in reasons] == codes


@pytest.mark.parametrize(
    ("reference", "allowed"),
    [("", True), ("M.D.", True), ("Dossier 2031-00417", True), ("x" * 20, True), ("x" * 21, False)],
    ids=["none", "initials", "file-number", "twenty", "twenty-one"],
)
def test_a_beneficiary_reference_is_20_characters_at_most(reference, allowed):
    assert (rules.check_reference(reference) is None) == allowed


def test_describe_says_the_pattern_in_french():
    text = rules.describe(pattern(pause_start=time(15, 30), pause_end=time(15, 45)))
    assert text == "le jeudi, 14:00–17:00, créneaux de 30 min, pause 15:30–15:45"
