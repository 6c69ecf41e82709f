"""French text for dates, times, durations and lists: the one place that writes them, via Babel.

Pure (Babel and the standard library only). Babel parses a pattern on every call, so the
patterns, the locale and the day and month names are read once here, at import: the day
view prints hundreds of times per page.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, tzinfo
from functools import lru_cache

from babel import Locale
from babel.dates import DateTimePattern, get_day_names, get_month_names, parse_pattern
from babel.lists import format_list

LOCALE = Locale.parse("fr_FR")
MINUTES_PER_DAY = 1440

# Babel numbers weekdays as Python does (0 is Monday) and months from 1.
WEEKDAYS: tuple[str, ...] = tuple(get_day_names("wide", locale=LOCALE)[d] for d in range(7))
WEEKDAYS_SHORT: tuple[str, ...] = tuple(
    get_day_names("abbreviated", locale=LOCALE)[d] for d in range(7)
)
MONTHS: tuple[str, ...] = tuple(get_month_names("wide", locale=LOCALE)[m] for m in range(1, 13))
MONTHS_SHORT: tuple[str, ...] = tuple(
    get_month_names("abbreviated", locale=LOCALE)[m] for m in range(1, 13)
)

LONG_DAY = "EEEE d MMMM y"  # "mardi 24 novembre 2026"
LONG_DATETIME = "EEEE d MMMM y 'à' HH:mm"  # "mardi 24 novembre 2026 à 10:00"
_SHORT_DAY = "EEE dd/MM"  # "mar. 24/11"
_SHORT_DATETIME = "EEE dd/MM HH:mm"  # "mar. 24/11 10:00"
_NUMERIC_DAY = "dd/MM/y"  # "24/11/2026"

# Every wall minute of a day as "HH:MM", written once (1440 is the next midnight, "24:00").
HHMM: tuple[str, ...] = tuple(f"{m // 60:02d}:{m % 60:02d}" for m in range(MINUTES_PER_DAY + 1))
_patterns: dict[str, DateTimePattern] = {}


def _pattern(text: str) -> DateTimePattern:
    """A Babel pattern parsed once: templates use a handful, each thousands of times."""
    found = _patterns.get(text)
    if found is None:
        found = _patterns[text] = parse_pattern(text)
    return found


for _text in (LONG_DAY, LONG_DATETIME, _SHORT_DAY, _SHORT_DATETIME, _NUMERIC_DAY):
    _pattern(_text)


def format_hhmm(value: int | time | datetime, say_midnight: bool = False) -> str:
    """A wall time as '08:30': minutes of the day (0..1440) or a time; midnight may be 'minuit'."""
    # No isinstance call: the grids ask this hundreds of times per page.
    minutes = value if value.__class__ is int else value.hour * 60 + value.minute
    if say_midnight and minutes in (0, MINUTES_PER_DAY):
        return "minuit"
    if 0 <= minutes <= MINUTES_PER_DAY:
        return HHMM[minutes]
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def format_date(value: date | datetime, pattern: str = LONG_DAY) -> str:
    """A day (or a wall datetime, as it stands) with a Babel pattern: 'mardi 24 novembre 2026'."""
    if type(value) is date:
        return _day_text(value, pattern)
    return _pattern(pattern).apply(value, LOCALE)


@lru_cache(maxsize=4096)
def _day_text(day: date, pattern: str) -> str:
    # The grids name the same few days on every page; a day's text never changes.
    return _pattern(pattern).apply(day, LOCALE)


def format_numeric_date(day: date) -> str:
    """A day in digits, as on a form: '24/11/2026'."""
    return format_date(day, _NUMERIC_DAY)


def format_datetime(value: datetime, tz: tzinfo, pattern: str = LONG_DATETIME) -> str:
    """An instant as wall time in tz: 'mardi 24 novembre 2026 à 10:00'; naive means UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return _pattern(pattern).apply(value.astimezone(tz), LOCALE)


def format_day(day: date) -> str:
    """A day as short French text: 'mar. 24/11'."""
    return format_date(day, _SHORT_DAY)


def format_local(dt: datetime, tz: tzinfo) -> str:
    """An aware instant as short French wall text in tz: 'mar. 24/11 10:00'."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"dt must be timezone-aware, got {dt!r}")
    return _pattern(_SHORT_DATETIME).apply(dt.astimezone(tz), LOCALE)


def format_when(start: datetime, end: datetime, tz: tzinfo) -> str:
    """A period as wall time in tz: 'mardi 3 mars 2026, de 10:00 à 12:00', or across days.

    A period that ends at the next midnight stays on its day: 'de 20:00 à minuit'.
    """
    start, end = start.astimezone(tz), end.astimezone(tz)
    day = format_date(start.date())
    midnight = end.hour == 0 and end.minute == 0
    if start.date() == end.date() or (midnight and (end.date() - start.date()).days == 1):
        return f"{day}, de {format_hhmm(start)} à {format_hhmm(end, say_midnight=midnight)}"
    return f"du {day} à {format_hhmm(start)} au {format_date(end.date())} à {format_hhmm(end)}"


def format_duration(minutes: int) -> str:
    """A length of time the way the building says it: '30 min', '1 h', '1 h 30', '3 jours'.

    Whole days are said in days from two on; a day and less is said in hours ('24 h').
    """
    if minutes >= 2 * MINUTES_PER_DAY and minutes % MINUTES_PER_DAY == 0:
        return f"{minutes // MINUTES_PER_DAY} jours"
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


def format_hours(minutes: int) -> str:
    """An amount of hours, as a quota counts them: '0 h', '18 h', '1 h 30', '48 h'."""
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


def format_long_day(day: date) -> str:
    """A day in a sentence: '1er décembre 2026', '14 janvier 2027'."""
    text = format_date(day, "d MMMM y")
    return "1er" + text[1:] if day.day == 1 else text


def join_words(words: Iterable[str]) -> str:
    """'lundi, mardi et jeudi': a French list, as Babel writes it."""
    words = list(words)
    return format_list(words, locale=LOCALE) if words else ""


def weekday_names(weekdays: Iterable[int]) -> str:
    """Weekdays (0 is Monday) in week order as one French list: 'lundi, mardi et jeudi'."""
    return join_words(WEEKDAYS[d] for d in sorted(weekdays))


__all__ = [
    "HHMM",
    "LONG_DATETIME",
    "LONG_DAY",
    "MONTHS",
    "MONTHS_SHORT",
    "WEEKDAYS",
    "WEEKDAYS_SHORT",
    "format_date",
    "format_datetime",
    "format_day",
    "format_duration",
    "format_hhmm",
    "format_local",
    "format_numeric_date",
    "format_when",
    "join_words",
    "weekday_names",
]
