"""Permanence patterns, pure: when a permanence is held and the slots it lays out.

Slots live in local wall time: 14:30 stays 14:30 across the clock changes. No web, no
database: the services load plain data and get days, slots, or the reasons a pattern is wrong.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pole.core.refusals import Reason
from pole.formatting import format_duration, format_hhmm, weekday_names
from pole.timeutil import NonexistentLocalTime, combine_minutes, local_to_utc

SLOT_LENGTHS = (15, 20, 30, 45, 60)
SLOT_KEY = "%Y%m%dT%H%MZ"
# A pattern is laid out day by day: it spans two years at most, whatever dates are typed.
MAX_PATTERN_DAYS = 2 * 366


@dataclass(frozen=True)
class Pattern:
    """When a permanence is held, from one date on: its weekdays, hours, slots and pause."""

    valid_from: date
    until: date
    weekdays: frozenset[int]
    start: time
    end: time
    slot_minutes: int
    pause_start: time | None = None
    pause_end: time | None = None
    skipped: frozenset[date] = frozenset()

    def holds_on(self, day: date) -> bool:
        return (
            self.valid_from <= day <= self.until
            and day.weekday() in self.weekdays
            and day not in self.skipped
        )


@dataclass(frozen=True)
class Slot:
    """One appointment slot: it starts at its wall time and lasts its length in real minutes."""

    day: date
    start: datetime
    end: datetime
    label: str  # the wall time people read, "14:30"


@dataclass(frozen=True)
class FairShare:
    """How many slots of one permanence an association may hold, until how long before it."""

    limit: int
    hours: int


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _hm(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


# Checking a pattern ----------------------------------------------------------------------------


def check_pattern(pattern: Pattern, open_days_ahead: int, fair_share: FairShare) -> list[Reason]:
    """Every reason this pattern cannot be published, beside the field it concerns."""
    reasons: list[Reason] = []
    if not pattern.weekdays:
        reasons.append(Reason("weekdays", "weekdays", "Choisissez au moins un jour."))
    if any(not 0 <= d <= 6 for d in pattern.weekdays):
        reasons.append(Reason("weekdays", "weekdays", "Jour de la semaine inconnu."))
    if pattern.slot_minutes not in SLOT_LENGTHS:
        lengths = ", ".join(str(n) for n in SLOT_LENGTHS)
        reasons.append(
            Reason("slot", "slot_minutes", f"Un créneau dure {lengths} minutes, au choix.")
        )
    if pattern.start >= pattern.end:
        reasons.append(Reason("order", "end_time", "La fin doit venir après le début."))
    if pattern.until < pattern.valid_from:
        reasons.append(Reason("order", "until", "La date de fin doit suivre la date de début."))
    elif (pattern.until - pattern.valid_from).days > MAX_PATTERN_DAYS:
        reasons.append(
            Reason("too_long", "until", "Une permanence se publie pour deux ans au plus.")
        )
    if (pattern.pause_start is None) != (pattern.pause_end is None):
        missing = "pause_end" if pattern.pause_end is None else "pause_start"
        reasons.append(
            Reason("pause", missing, "Indiquez le début et la fin de la pause, ou aucune des deux.")
        )
    elif pattern.pause_start is not None and pattern.pause_end is not None:
        if pattern.pause_start >= pattern.pause_end:
            reasons.append(
                Reason("pause", "pause_end", "La fin de la pause doit venir après son début.")
            )
        elif not pattern.start < pattern.pause_start or not pattern.pause_end < pattern.end:
            reasons.append(
                Reason(
                    "pause",
                    "pause_start",
                    "La pause doit tomber pendant la permanence, ni au début ni à la fin.",
                )
            )
    if open_days_ahead < 1:
        reasons.append(
            Reason("window", "open_days_ahead", "Les créneaux s'ouvrent au moins 1 jour avant.")
        )
    if fair_share.limit < 1:
        reasons.append(
            Reason("fair_share", "fair_share_limit", "Laissez au moins 1 créneau par association.")
        )
    if fair_share.hours < 0:
        reasons.append(Reason("fair_share", "fair_share_hours", "Indiquez un nombre d'heures."))
    if not reasons and not _layout(pattern):
        reasons.append(
            Reason(
                "slot",
                "slot_minutes",
                "Aucun créneau ne tient dans ces horaires : raccourcissez les créneaux.",
            )
        )
    return reasons


# Laying out slots --------------------------------------------------------------------------------


def _layout(pattern: Pattern) -> list[int]:
    """Wall-time minutes at which slots start: whole slots before the pause, then after it."""
    start, end, step = _minutes(pattern.start), _minutes(pattern.end), pattern.slot_minutes
    if pattern.pause_start is not None and pattern.pause_end is not None:
        stretches = [(start, _minutes(pattern.pause_start)), (_minutes(pattern.pause_end), end)]
    else:
        stretches = [(start, end)]
    starts: list[int] = []
    for first, last in stretches:
        minute = first
        while minute + step <= last:
            starts.append(minute)
            minute += step
    return starts


def session_bounds(pattern: Pattern, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """When the permanence begins and ends that day (an edge in the spring gap: the jump)."""
    start = combine_minutes(day, _minutes(pattern.start), tz, shift_gap=True)
    end = combine_minutes(day, _minutes(pattern.end), tz, shift_gap=True)
    return start, end


def day_slots(pattern: Pattern, day: date, tz: ZoneInfo) -> list[Slot]:
    """The slots of one day of the permanence, in order.

    A slot starts at its wall time and lasts its length: 14:30 stays 14:30 across the clock
    changes. A wall time the spring change skips gives no slot; in the autumn hour that
    happens twice, a slot starts at the first one.
    """
    _, session_end = session_bounds(pattern, day, tz)
    length = timedelta(minutes=pattern.slot_minutes)
    slots: list[Slot] = []
    for minute in _layout(pattern):
        wall = _hm(minute)
        try:
            start = local_to_utc(day, wall, tz)
        except NonexistentLocalTime:
            continue
        if start + length > session_end:
            continue
        slots.append(Slot(day, start, start + length, format_hhmm(wall)))
    return slots


def slot_key(start: datetime) -> str:
    """A slot in URLs and element ids: its UTC start, '20260312T1330Z'."""
    return start.astimezone(UTC).strftime(SLOT_KEY)


def pattern_on(patterns: Sequence[Pattern], day: date) -> Pattern | None:
    """The pattern in force on a day: the latest one that starts on or before it."""
    current = None
    for pattern in sorted(patterns, key=lambda p: p.valid_from):
        if pattern.valid_from <= day <= pattern.until:
            current = pattern
    return current


def session_days(
    patterns: Sequence[Pattern], first: date, last: date, cancelled: Collection[date] = ()
) -> list[tuple[date, Pattern]]:
    """The days the permanence is held between two dates, with the pattern of each.

    A pattern change from a date applies from that date on; a cancelled date is left out.
    """
    days: list[tuple[date, Pattern]] = []
    if not patterns:
        return days
    # Walk only the days some pattern covers (two years at most each), whatever was asked.
    day = max(first, min(p.valid_from for p in patterns))
    last = min(last, max(p.until for p in patterns))
    while day <= last:
        pattern = pattern_on(patterns, day)
        if pattern is not None and pattern.holds_on(day) and day not in cancelled:
            days.append((day, pattern))
        day += timedelta(days=1)
    return days


def slots_between(
    patterns: Sequence[Pattern],
    first: date,
    last: date,
    tz: ZoneInfo,
    cancelled: Collection[date] = (),
    blocked: Collection[datetime] = (),
) -> list[Slot]:
    """Every slot open to appointments between two dates: cancelled days and blocked slots out."""
    blocked = set(blocked)
    return [
        slot
        for day, pattern in session_days(patterns, first, last, cancelled)
        for slot in day_slots(pattern, day, tz)
        if slot.start not in blocked
    ]


def find_slot(pattern: Pattern, day: date, start: datetime, tz: ZoneInfo) -> Slot | None:
    for slot in day_slots(pattern, day, tz):
        if slot.start == start:
            return slot
    return None


def describe(pattern: Pattern) -> str:
    """The pattern in French: 'le jeudi, 14:00–17:00, créneaux de 30 min, pause 15:30–15:45'."""
    days = weekday_names(pattern.weekdays)
    text = f"le {days}, {format_hhmm(pattern.start)}–{format_hhmm(pattern.end)}"
    text += f", créneaux de {format_duration(pattern.slot_minutes)}"
    if pattern.pause_start is not None and pattern.pause_end is not None:
        text += f", pause {format_hhmm(pattern.pause_start)}–{format_hhmm(pattern.pause_end)}"
    return text
