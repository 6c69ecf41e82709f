"""Recurring bookings, laid out in local wall time so 14:00 stays 14:00 across clock changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from dateutil.rrule import MO, MONTHLY, WEEKLY, rrule, weekday

from pole.formatting import format_hhmm, format_numeric_date, join_words, weekday_names
from pole.timeutil import NonexistentLocalTime, local_to_utc

FREQUENCIES = {"weekly": WEEKLY, "monthly": MONTHLY}
MONTH_WEEKS = (1, 2, 3, 4, -1)
NUMBERS_FR = {2: "deux", 3: "trois", 4: "quatre", 5: "cinq", 6: "six"}


@dataclass(frozen=True)
class Recurrence:
    """A booking that comes back every week(s) or month(s) at the same local hours."""

    first_day: date
    start_time: time
    end_time: time
    freq: str
    interval: int = 1
    weekdays: frozenset[int] = frozenset()
    month_week: int | None = None
    until: date | None = None
    count: int | None = None
    skipped: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if self.freq not in FREQUENCIES:
            raise ValueError(f"freq must be 'weekly' or 'monthly', got {self.freq!r}")
        if self.interval < 1:
            raise ValueError("interval must be at least 1")
        if not self.start_time < self.end_time:
            raise ValueError("end_time must come after start_time on the same day")
        if any(not 0 <= d <= 6 for d in self.weekdays):
            raise ValueError("weekdays go from 0 (Monday) to 6 (Sunday)")
        if self.month_week is not None:
            if self.freq != "monthly":
                raise ValueError("month_week only applies to monthly series")
            if self.month_week not in MONTH_WEEKS:
                raise ValueError("month_week must be 1, 2, 3, 4 or -1 (last)")
        if self.until is None and self.count is None:
            raise ValueError("a series needs an end: until or count")
        if self.count is not None and self.count < 1:
            raise ValueError("count must be at least 1")


@dataclass(frozen=True)
class Occurrence:
    """One date of a series; start and end are None when that wall time does not exist."""

    day: date
    start: datetime | None
    end: datetime | None
    problem: str = ""


def _days_of_week(rec: Recurrence) -> list[int]:
    return sorted(rec.weekdays) if rec.weekdays else [rec.first_day.weekday()]


def _rule(rec: Recurrence, last: date) -> rrule:
    kwargs: dict[str, object] = {
        "dtstart": datetime.combine(rec.first_day, time(0, 0)),
        "interval": rec.interval,
        "wkst": MO,
        # The date bound goes to rrule and the count is applied by hand: dateutil deprecates
        # giving both, and a bound keeps a rule that never matches from looping forever.
        "until": datetime.combine(last, time(0, 0)),
    }
    if rec.freq == "weekly":
        kwargs["byweekday"] = _days_of_week(rec)
    elif rec.month_week is not None:
        kwargs["byweekday"] = [weekday(d)(rec.month_week) for d in _days_of_week(rec)]
    else:
        kwargs["bymonthday"] = rec.first_day.day
    return rrule(FREQUENCIES[rec.freq], **kwargs)


def expand(
    rec: Recurrence, tz: ZoneInfo, last_day: date, max_occurrences: int = 500
) -> list[Occurrence]:
    """The dates of a series up to its end, the resource's horizon and a safety cap.

    Skipped dates do consume the count: "10 times" with one skipped date gives 9 occurrences.
    The first day only counts when it matches the pattern. A monthly series without month_week
    repeats on first_day's day of the month and passes over months that lack it (no 31 June).
    A start or end time skipped by the spring clock change gives an occurrence without times
    and with the French explanation in `problem`; an autumn time that happens twice means the
    first one.
    """
    if rec.until is None and rec.count is None:
        raise ValueError("a series needs an end: until or count")
    last = last_day if rec.until is None else min(rec.until, last_day)
    if last < rec.first_day or max_occurrences <= 0:
        return []
    occurrences: list[Occurrence] = []
    for index, moment in enumerate(_rule(rec, last)):
        if rec.count is not None and index >= rec.count:
            break
        day = moment.date()
        if day in rec.skipped:
            continue
        try:
            start = local_to_utc(day, rec.start_time, tz)
            end = local_to_utc(day, rec.end_time, tz)
        except NonexistentLocalTime as error:
            occurrences.append(Occurrence(day, None, None, str(error)))
        else:
            occurrences.append(Occurrence(day, start, end))
        if len(occurrences) >= max_occurrences:
            break
    return occurrences


def _every_n(n: int, unit: str) -> str:
    every = "toutes les" if unit == "semaines" else "tous les"
    return f"{every} {NUMBERS_FR.get(n, str(n))} {unit}"


def _ordinal(n: int) -> str:
    if n == -1:
        return "dernier"
    return "1er" if n == 1 else f"{n}e"


def describe(rec: Recurrence) -> str:
    """The series said in French, e.g. 'chaque mardi et jeudi, 08:30–12:00, jusqu'au 30/06/2027'."""
    names = weekday_names(_days_of_week(rec))
    if rec.freq == "weekly":
        if rec.interval == 1:
            pattern = f"chaque {names}"
        else:
            pattern = f"{_every_n(rec.interval, 'semaines')}, le {names}"
    else:
        if rec.month_week is not None:
            which = f"le {_ordinal(rec.month_week)} {names}"
        else:
            day = rec.first_day.day
            which = "le 1er" if day == 1 else f"le {day}"
        if rec.interval == 1:
            pattern = f"{which} de chaque mois"
        else:
            pattern = f"{which}, {_every_n(rec.interval, 'mois')}"
    parts = [pattern, f"{format_hhmm(rec.start_time)}–{format_hhmm(rec.end_time)}"]
    if rec.count is not None:
        parts.append("une seule fois" if rec.count == 1 else f"{rec.count} fois")
    if rec.until is not None:
        until = f"jusqu'au {format_numeric_date(rec.until)}"
        parts.append(f"{until} au plus tard" if rec.count is not None else until)
    if rec.skipped:
        skipped = sorted(rec.skipped)
        if len(skipped) <= 3:
            parts.append("sauf " + join_words(f"le {format_numeric_date(d)}" for d in skipped))
        else:
            parts.append(f"sauf {len(skipped)} dates")
    return ", ".join(parts)


__all__ = ["Occurrence", "Recurrence", "describe", "expand"]
