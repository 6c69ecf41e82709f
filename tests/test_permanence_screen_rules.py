"""What the permanence screens offer, asked of the rules: open dates, bookable slots, marks."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from pole.permanences import rules
from tests.test_permanence_rules import PARIS, THURSDAY, paris

END = paris(THURSDAY, 17)


@pytest.mark.parametrize(
    ("now", "opened"),
    [
        (paris(THURSDAY - timedelta(days=22), 23, 59), False),
        (paris(THURSDAY - timedelta(days=21), 0, 0), True),
        (paris(THURSDAY, 16), True),
        (paris(THURSDAY + timedelta(days=1), 9), True),
    ],
    ids=["the-night-before-opening", "opening-midnight", "the-day-itself", "the-day-after"],
)
def test_a_date_opens_21_days_ahead_at_local_midnight(now, opened):
    assert rules.has_opened(THURSDAY, 21, PARIS, now) is opened


@pytest.mark.parametrize(
    ("state", "for_an_association", "opened", "offered"),
    [
        ("free", True, True, True),
        ("free", True, False, False),
        ("free", False, True, False),
        ("taken", True, True, False),
        ("mine", True, True, False),
        ("blocked", True, True, False),
        ("past", True, True, False),
        ("cancelled", True, True, False),
    ],
    ids=[
        "free-and-open",
        "not-open-yet",
        "no-association",
        "taken",
        "mine",
        "blocked",
        "past",
        "cancelled",
    ],
)
def test_a_free_slot_of_an_open_date_is_offered_to_a_person_of_an_association(
    state, for_an_association, opened, offered
):
    assert rules.can_book(state, for_an_association, opened) is offered


@pytest.mark.parametrize(
    ("now", "over"),
    [
        (END - timedelta(minutes=1), False),
        (END, True),
        (END + timedelta(days=1), True),
    ],
    ids=["a-minute-before-the-end", "at-the-end", "the-day-after"],
)
def test_a_date_is_over_once_the_permanence_has_ended_that_day(now, over):
    assert rules.is_over(END, now) is over
    date = SimpleNamespace(end=END)
    assert rules.still_to_come([date], now) == ([] if over else [date])


def test_the_dates_still_to_come_keep_their_order():
    dates = [SimpleNamespace(end=END + timedelta(days=7 * n)) for n in (0, 1, 2)]
    assert rules.still_to_come(dates, END) == dates[1:]


START = paris(THURSDAY, 14)


@pytest.mark.parametrize(
    ("status", "mark", "now", "offered"),
    [
        ("booked", "seen", START - timedelta(hours=1), True),
        ("booked", "no_show", START - timedelta(minutes=1), False),
        ("booked", "no_show", START, True),
        ("seen", "seen", START, False),
        ("seen", "no_show", START, True),
        ("no_show", "no_show", START, False),
        ("no_show", "seen", START, True),
    ],
    ids=[
        "seen-before-it-starts",
        "absent-before-it-starts",
        "absent-once-started",
        "seen-twice",
        "seen-then-absent",
        "absent-twice",
        "absent-then-seen",
    ],
)
def test_the_day_sheet_offers_a_mark_it_does_not_already_carry(status, mark, now, offered):
    appointment = SimpleNamespace(status=status, start=START)
    assert rules.can_mark(appointment, mark, now) is offered
