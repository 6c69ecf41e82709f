"""iCalendar feeds (RFC 5545, RFC 7986) written as bytes: pure, deterministic, byte-exact.

No Flask, no database, no clock: the services hand over frozen `Event`s in a `Calendar` and
get the bytes back; the same values always give the same bytes, so an unchanged feed keeps
its ETag.

We write the text ourselves instead of using icalendar's `Calendar.to_ical()`, for three
measured reasons:
- speed: its builder took about 250 ms for the 500 events of a room's year on the bench
  machine, where the whole feed must take 30 ms; ours writes them in under 10 ms;
- its TEXT escaping turns a literal backslash-N ("C:\\Notes") into a line break;
- its VTIMEZONE (`Timezone.from_tzinfo`) is a list of RDATEs that stops in 2038, where
  clients expect the yearly-rule form.
tests/test_ical.py pins the last two against the installed icalendar, and has icalendar
(with recurring-ical-events) and vobject read back everything we write.

Choices that make every client read a feed the same way:
- times carry TZID of the site's zone, with a VTIMEZONE in yearly-rule form derived from the
  zone's transitions (zoneinfo); never a floating time. The one exception is an event that
  starts or ends in the repeated 02:00-03:00 hour of an autumn night, first or second pass:
  a TZID cannot name the second pass (RFC 5545 3.3.5 reads an ambiguous local time as the
  first), and libical, ical.js and icalevents read the first pass as the second, an hour
  late. Both its ends are in UTC.
- lines end with CRLF and are folded at 75 octets, never inside a UTF-8 character nor
  between a backslash and the character it escapes.
- TEXT is escaped per RFC 5545 3.3.11 (backslash, semicolon, comma, newline); line breaks
  are normalised to LF and control characters other than tab and LF are dropped, since no
  escape exists for them.
"""

from __future__ import annotations

import calendar as _calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

PRODID = "-//Pôle//Agendas du pôle des solidarités//FR"
MAX_LINE_OCTETS = 75
STATUSES = frozenset({"CONFIRMED", "TENTATIVE", "CANCELLED"})
# The yearly rule is searched back to here; tzdata before 1970 is not reliable everywhere.
EPOCH_YEAR = 1970
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# printf-style: two and a half times faster than an f-string with format specs (timeit),
# and a year of a room writes two thousand of these.
_STAMP = "%04d%02d%02dT%02d%02d%02d"
_SPECIAL = re.compile(r"[\\;,\n\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Event:
    """One occurrence, as a VEVENT. `start`/`end` are aware; they are written in `tz`."""

    uid: str
    start: datetime
    end: datetime
    tz: ZoneInfo
    summary: str
    status: str  # CONFIRMED | TENTATIVE | CANCELLED
    sequence: int
    last_modified: datetime
    created: datetime | None = None
    location: str = ""
    description: str = ""
    url: str = ""
    categories: tuple[str, ...] = ()
    # For an invitation sent by mail (iTIP, RFC 5546): who sends it, who receives it.
    organizer: str = ""
    attendees: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("start", "end", "last_modified"):
            value = getattr(self, name)
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware, got {value!r}")
        if not self.end > self.start:
            raise ValueError("end must come after start")
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {sorted(STATUSES)}, got {self.status!r}")
        if self.sequence < 0:
            raise ValueError("sequence cannot be negative")
        if not self.tz.key:
            raise ValueError("the time zone needs an IANA name for TZID")


@dataclass(frozen=True)
class Calendar:
    """A whole feed: its name, how often clients should refresh it, and its events."""

    name: str
    events: tuple[Event, ...] = field(default_factory=tuple)
    description: str = ""
    refresh: timedelta = timedelta(hours=1)
    # PUBLISH for a feed; REQUEST or CANCEL for an invitation sent by mail (RFC 5546).
    method: str = "PUBLISH"

    def __post_init__(self) -> None:
        if self.method not in ("PUBLISH", "REQUEST", "CANCEL"):
            raise ValueError(f"unknown iTIP method {self.method!r}")


def to_ics(cal: Calendar) -> bytes:
    """The calendar as an iCalendar stream: CRLF lines, folded, events by start then UID."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:" + escape_text(PRODID),
        "CALSCALE:GREGORIAN",
        "METHOD:" + cal.method,
        "NAME:" + escape_text(cal.name),
        "X-WR-CALNAME:" + escape_text(cal.name),
    ]
    if cal.description:
        lines.append("DESCRIPTION:" + escape_text(cal.description))
        lines.append("X-WR-CALDESC:" + escape_text(cal.description))
    refresh = format_duration(cal.refresh)
    lines.append("REFRESH-INTERVAL;VALUE=DURATION:" + refresh)
    lines.append("X-PUBLISHED-TTL:" + refresh)
    events = sorted(cal.events, key=lambda e: (e.start, e.uid))
    for tz, (first, last) in sorted(_years_by_zone(events).items()):
        lines.extend(vtimezone_lines(ZoneInfo(tz), first, last))
    text = "\r\n".join(fold(line) for line in lines)
    parts = [text]
    # Rooms, organisations and series titles repeat from event to event: each distinct
    # text line is escaped and folded once per calendar.
    lines_seen: dict[tuple[str, str], str] = {}
    parts.extend(_event_text(event, lines_seen) for event in events)
    parts.append("END:VCALENDAR\r\n")
    return "\r\n".join(parts).encode("utf-8")


def _years_by_zone(events: Iterable[Event]) -> dict[str, tuple[int, int]]:
    """The local years each time zone's events span (first start to last end)."""
    spans: dict[str, tuple[Event, datetime]] = {}
    for event in events:
        first, last = spans.get(event.tz.key, (event, event.end))
        spans[event.tz.key] = (
            event if event.start < first.start else first,
            max(last, event.end),
        )
    return {
        key: (first.start.astimezone(first.tz).year, last.astimezone(first.tz).year)
        for key, (first, last) in spans.items()
    }


def _text_line(name: str, value: str, seen: dict[tuple[str, str], str]) -> str:
    line = seen.get((name, value))
    if line is None:
        line = seen[name, value] = fold(f"{name}:{escape_text(value)}")
    return line


def _event_text(event: Event, seen: dict[tuple[str, str], str] | None = None) -> str:
    """One VEVENT as CRLF-separated, folded lines (without the final CRLF)."""
    seen = {} if seen is None else seen
    stamp = format_utc(event.last_modified)
    lines = [
        "BEGIN:VEVENT",
        fold("UID:" + escape_text(event.uid)),
        "DTSTAMP:" + stamp,
        *_time_lines(event),
        _text_line("SUMMARY", event.summary, seen),
    ]
    if event.location:
        lines.append(_text_line("LOCATION", event.location, seen))
    if event.description:
        lines.append(_text_line("DESCRIPTION", event.description, seen))
    if event.url:
        lines.append(fold("URL:" + _CONTROL.sub("", event.url).replace("\n", "")))
    if event.categories:
        # A comma inside a category is legal when escaped, but icalendar reads it raw:
        # category names lose their commas rather than be read two ways.
        key = ("CATEGORIES", "\n".join(event.categories))
        line = seen.get(key)
        if line is None:
            names = (escape_text(" ".join(c.replace(",", " ").split())) for c in event.categories)
            line = seen[key] = fold("CATEGORIES:" + ",".join(names))
        lines.append(line)
    if event.organizer:
        lines.append(fold("ORGANIZER:mailto:" + _CONTROL.sub("", event.organizer)))
    lines.extend(fold("ATTENDEE;RSVP=FALSE:mailto:" + _CONTROL.sub("", a)) for a in event.attendees)
    lines.append("STATUS:" + event.status)
    # A cancelled occurrence no longer makes anyone busy.
    lines.append("TRANSP:TRANSPARENT" if event.status == "CANCELLED" else "TRANSP:OPAQUE")
    lines.append(f"SEQUENCE:{event.sequence}")
    if event.created is not None:
        created = stamp if event.created == event.last_modified else format_utc(event.created)
        lines.append("CREATED:" + created)
    lines.append("LAST-MODIFIED:" + stamp)
    lines.append("END:VEVENT")
    return "\r\n".join(lines)


# Values ----------------------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """What of `text` a TEXT value can carry: line breaks as LF, no control characters."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def escape_text(text: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash first, then semicolon, comma and newline."""
    if not _SPECIAL.search(text):
        return text
    return (
        clean_text(text)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\n", "\\n")
    )


def format_utc(dt: datetime) -> str:
    """An instant as a UTC DATE-TIME ("form #2"), to the second."""
    d = dt if dt.tzinfo is UTC else dt.astimezone(UTC)
    return _STAMP % (d.year, d.month, d.day, d.hour, d.minute, d.second) + "Z"


def format_local(dt: datetime) -> str:
    """A naive or local wall time as a local DATE-TIME ("form #1" or the value of form #3)."""
    return _STAMP % (dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second)


def _time_lines(event: Event) -> tuple[str, str]:
    start, end = event.start.astimezone(event.tz), event.end.astimezone(event.tz)
    # A wall time shown twice (the repeated autumn hour) names its first pass with a TZID
    # (RFC 5545 3.3.5), but libical, ical.js and icalevents read the second: only UTC means
    # the same instant to all. Both ends go to UTC then, as recurring-ical-events misreads
    # an event whose start and end use different forms.
    if _repeated(start) or _repeated(end):
        return f"DTSTART:{format_utc(start)}", f"DTEND:{format_utc(end)}"
    key = event.tz.key
    return f"DTSTART;TZID={key}:{format_local(start)}", f"DTEND;TZID={key}:{format_local(end)}"


def _repeated(local: datetime) -> bool:
    """Whether the clock shows this wall time twice (first or second pass)."""
    # Same tzinfo on both sides: Python compares the wall times, whatever their fold.
    return any(low <= local < high for low, high in repeated_wall_times(local.tzinfo, local.year))


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


def format_duration(value: timedelta) -> str:
    """A positive duration as RFC 5545 DURATION, e.g. PT1H, P1D, PT1H30M."""
    seconds = int(value.total_seconds())
    if seconds <= 0:
        raise ValueError("a refresh interval must be positive")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = "P" + (f"{days}D" if days else "")
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    clock += f"{secs}S" if secs else ""
    return text + ("T" + clock if clock else "")


def format_offset(offset: timedelta) -> str:
    """A UTC offset as UTC-OFFSET: +0100, -0330, +053328 when seconds are needed."""
    total = int(offset.total_seconds())
    sign = "-" if total < 0 else "+"
    hours, rest = divmod(abs(total), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{seconds:02d}" if seconds else "")


# Folding -----------------------------------------------------------------------------------


def fold(line: str) -> str:
    """A content line folded so that no line exceeds 75 octets of UTF-8 (RFC 5545 3.1).

    A fold never falls inside a multi-octet character, nor between a backslash and the
    character it escapes (some clients unescape before they unfold).
    """
    if len(line) <= MAX_LINE_OCTETS // 4 or (len(line) <= MAX_LINE_OCTETS and line.isascii()):
        return line
    data = line.encode("utf-8")
    if len(data) <= MAX_LINE_OCTETS:
        return line
    pieces = []
    start = 0
    room = MAX_LINE_OCTETS  # continuation lines start with a space: one octet less
    while len(data) - start > room:
        cut = start + room
        while data[cut] & 0xC0 == 0x80:  # a UTF-8 continuation octet: back to its lead
            cut -= 1
        backslashes = 0
        while cut - 1 - backslashes >= 0 and data[cut - 1 - backslashes] == 0x5C:
            backslashes += 1
        if backslashes % 2:  # the last one starts an escape: keep it with its character
            cut -= 1
        pieces.append(data[start:cut])
        start = cut
        room = MAX_LINE_OCTETS - 1
    pieces.append(data[start:])
    return b"\r\n ".join(pieces).decode("utf-8")


# VTIMEZONE ---------------------------------------------------------------------------------


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
