"""VTIMEZONE: a zone's changes of offset, written as yearly rules where they follow one."""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from .text import escape_text, format_local, format_offset

# The yearly rule is searched back to here; tzdata before 1970 is not reliable everywhere.
EPOCH_YEAR = 1970
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Transition:
    """A change of a zone's offset; `onset` is the wall time just before it (RFC 5545 3.6.5)."""

    onset: datetime  # naive local time, in the offset before the change
    offset_from: timedelta
    offset_to: timedelta
    name: str
    is_dst: bool

    @property
    def kind(self) -> tuple[bool, timedelta, timedelta, str]:
        return (self.is_dst, self.offset_from, self.offset_to, self.name)


@dataclass(frozen=True)
class _Rule:
    month: int
    weekday: int
    nth: int  # 1..4, or -1 for the last one in the month
    onset_time: tuple[int, int, int]

    def day_in(self, year: int) -> date:
        days_in_month = _calendar.monthrange(year, self.month)[1]
        if self.nth > 0:
            first = date(year, self.month, 1)
            return first + timedelta(days=(self.weekday - first.weekday()) % 7 + 7 * (self.nth - 1))
        last = date(year, self.month, days_in_month)
        return last - timedelta(days=(last.weekday() - self.weekday) % 7)

    def matches(self, transition: Transition) -> bool:
        onset = transition.onset
        return (
            onset.date() == self.day_in(onset.year)
            and (
                onset.hour,
                onset.minute,
                onset.second,
            )
            == self.onset_time
        )

    @property
    def rrule(self) -> str:
        return f"FREQ=YEARLY;BYMONTH={self.month};BYDAY={self.nth}{WEEKDAY_CODES[self.weekday]}"


def _state(tz: ZoneInfo, instant: datetime) -> tuple[timedelta, str, bool]:
    local = instant.astimezone(tz)
    return local.utcoffset(), local.tzname(), bool(local.dst())


@lru_cache(maxsize=512)
def transitions(tz: ZoneInfo, year: int) -> tuple[Transition, ...]:
    """The zone's changes of offset whose instant falls in `year` (UTC), in order."""
    found = []
    moment = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    state = _state(tz, moment)
    while moment < end:
        following = min(moment + timedelta(days=1), end)
        next_state = _state(tz, following)
        if next_state != state:
            low, high = moment, following  # the change happens in (low, high]
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) // 2
                if _state(tz, middle) == state:
                    low = middle
                else:
                    high = middle
            offset_to, name, _ = _state(tz, high)
            onset = (high + state[0]).replace(tzinfo=None)
            # Clocks going forward start "daylight" time. tzdata's own flag can be negative
            # summer time (Morocco, Ireland), which parsers misread.
            found.append(Transition(onset, state[0], offset_to, name, offset_to > state[0]))
            state = next_state
        moment = following
    return tuple(found)


def _rule_for(transition: Transition) -> list[_Rule]:
    onset = transition.onset
    time_of_day = (onset.hour, onset.minute, onset.second)
    candidates = [_Rule(onset.month, onset.weekday(), (onset.day - 1) // 7 + 1, time_of_day)]
    if onset.day + 7 > _calendar.monthrange(onset.year, onset.month)[1]:
        candidates.insert(0, _Rule(onset.month, onset.weekday(), -1, time_of_day))
    return [rule for rule in candidates if rule.nth <= 4]


def _yearly_rules(tz: ZoneInfo, first: int, last: int) -> dict[tuple, _Rule] | None:
    """One yearly rule per kind of change that explains every change from `first` to `last`."""
    by_year = [transitions(tz, year) for year in range(first, last + 1)]
    kinds = [t.kind for t in by_year[0]]
    if len(set(kinds)) != len(kinds) or any([t.kind for t in y] != kinds for y in by_year):
        return None
    rules: dict[tuple, _Rule] = {}
    for index, kind in enumerate(kinds):
        changes = [year_changes[index] for year_changes in by_year]
        for rule in _rule_for(changes[0]):
            if all(rule.matches(change) for change in changes):
                rules[kind] = rule
                break
        else:
            return None
    return rules


def _rules_hold(tz: ZoneInfo, year: int, rules: dict[tuple, _Rule]) -> bool:
    changes = transitions(tz, year)
    return sorted(t.kind for t in changes) == sorted(rules) and all(
        rules[t.kind].matches(t) for t in changes
    )


@lru_cache(maxsize=64)
def vtimezone_lines(tz: ZoneInfo, first_year: int, last_year: int) -> tuple[str, ...]:
    """A VTIMEZONE for the events of these years: yearly rules when the zone has them.

    The rules are those of the zone's transitions in these years, checked against each of
    them, and start in the earliest year they hold (1996 for Europe/Paris). A zone whose
    changes follow no yearly weekday rule in these years gets its transitions as RDATEs.
    """
    lines = ["BEGIN:VTIMEZONE", f"TZID:{tz.key}"]
    rules = _yearly_rules(tz, first_year, last_year)
    if rules == {}:
        offset, name, _ = _state(tz, datetime(first_year, 1, 1, tzinfo=UTC))
        lines += _observance(False, f"{EPOCH_YEAR}0101T000000", offset, offset, name)
    elif rules is not None:
        since = first_year
        while since > EPOCH_YEAR and _rules_hold(tz, since - 1, rules):
            since -= 1
        changes = sorted(transitions(tz, since), key=lambda t: t.onset)
        for change in changes:
            lines += _observance(
                change.is_dst,
                format_local(change.onset),
                change.offset_from,
                change.offset_to,
                change.name,
                "RRULE:" + rules[change.kind].rrule,
            )
    else:
        by_kind: dict[tuple, list[Transition]] = {}
        for year in range(first_year - 1, last_year + 2):
            for change in transitions(tz, year):
                by_kind.setdefault(change.kind, []).append(change)
        for kind, changes in sorted(by_kind.items(), key=lambda item: item[1][0].onset):
            is_dst, offset_from, offset_to, name = kind
            # One RDATE per date: dateutil (vobject) misreads a list of several.
            extra = tuple("RDATE:" + format_local(c.onset) for c in changes[1:])
            lines += _observance(
                is_dst, format_local(changes[0].onset), offset_from, offset_to, name, *extra
            )
    lines.append("END:VTIMEZONE")
    return tuple(lines)


def _observance(
    is_dst: bool,
    dtstart: str,
    offset_from: timedelta,
    offset_to: timedelta,
    name: str,
    *extra: str,
) -> list[str]:
    kind = "DAYLIGHT" if is_dst else "STANDARD"
    lines = [
        f"BEGIN:{kind}",
        f"DTSTART:{dtstart}",
        *extra,
        f"TZOFFSETFROM:{format_offset(offset_from)}",
        f"TZOFFSETTO:{format_offset(offset_to)}",
    ]
    if name:
        lines.append("TZNAME:" + escape_text(name))
    lines.append(f"END:{kind}")
    return lines


@lru_cache(maxsize=512)
def repeated_wall_times(tz: ZoneInfo, year: int) -> tuple[tuple[datetime, datetime], ...]:
    """The wall-time spans [low, high) that the zone's clocks show twice around `year`.

    Read from the zone's transitions (cached), so that a feed of a thousand times checks
    each with two comparisons: asking zoneinfo about both folds of each nearly doubled the
    time of the whole writer (500 events: 2.2 to 4.1 ms); this way adds about a quarter.
    """
    spans = []
    for near in (year - 1, year, year + 1):  # a change near New Year may cross the year
        for change in transitions(tz, near):
            back = change.offset_from - change.offset_to
            if back > timedelta(0):
                # transitions() finds the change to within a second, from above.
                high = change.onset.replace(microsecond=0)
                low = high - back
                spans.append((low.replace(tzinfo=tz), high.replace(tzinfo=tz)))
    return tuple(spans)


@lru_cache(maxsize=512)
def near_repeated(tz: ZoneInfo, year: int) -> tuple[tuple[datetime, datetime], ...]:
    """The instants (UTC) within a day of a change that repeats wall times, around `year`.

    An instant outside these spans is never shown twice by the clock: a writer checks it
    with two comparisons and skips `repeated_wall_times` (a conversion and a lookup each).
    """
    day = timedelta(days=1)
    spans = []
    for near in (year - 1, year, year + 1):
        for change in transitions(tz, near):
            if change.offset_from > change.offset_to:
                instant = (change.onset - change.offset_from).replace(tzinfo=UTC)
                spans.append((instant - day, instant + day))
    return tuple(spans)
