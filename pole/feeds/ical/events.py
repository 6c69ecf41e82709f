"""VEVENTs in a VCALENDAR: the frozen values the services hand over, and their bytes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import itemgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo

from .text import (
    CONTROL,
    DATE_TIME,
    MAX_LINE_OCTETS,
    content_line,
    escape_text,
    fold,
    format_duration,
    format_local,
    format_utc,
)
from .zones import near_repeated, repeated_wall_times, vtimezone_lines

PRODID = "-//Pôle//Agendas du pôle des solidarités//FR"
STATUSES = frozenset({"CONFIRMED", "TENTATIVE", "CANCELLED"})


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
    writer = Writer()
    return calendar_bytes(cal, [writer.event(event) for event in cal.events])


class Written(NamedTuple):
    """One VEVENT's text, with what orders it in its calendar and what its VTIMEZONE needs."""

    start: datetime
    uid: str
    end: datetime
    tz: ZoneInfo
    text: str


def calendar_bytes(cal: Calendar, written: Iterable[Written]) -> bytes:
    """The calendar around VEVENTs already written (`cal.events` is not read)."""
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
    events = sorted(written, key=_ORDER)
    for tz, (first, last) in sorted(_years_by_zone(events).items()):
        lines.extend(vtimezone_lines(ZoneInfo(tz), first, last))
    parts = ["\r\n".join(fold(line) for line in lines)]
    parts.extend(event.text for event in events)
    parts.append("END:VCALENDAR\r\n")
    return "\r\n".join(parts).encode("utf-8")


_ORDER = itemgetter(0, 1)  # start, then UID


def _years_by_zone(events: Iterable[Written]) -> dict[str, tuple[int, int]]:
    """The local years each time zone's events span (first start to last end).

    `events` come sorted by start: a zone's first event starts first."""
    spans: dict[str, list] = {}
    for event in events:
        found = spans.get(event.tz.key)
        if found is None:
            spans[event.tz.key] = [event, event.end]
        elif event.end > found[1]:
            found[1] = event.end
    return {
        key: (first.start.astimezone(first.tz).year, last.astimezone(first.tz).year)
        for key, (first, last) in spans.items()
    }


class Writer:
    """Writes the VEVENTs of one calendar. Rooms, organisations and series titles repeat from
    event to event: each distinct text line is escaped and folded once per calendar, and what
    is the same for every event of a time zone (its TZID prefixes, the nights whose wall
    times repeat) is found once too."""

    __slots__ = ("_heads", "_lines", "_near", "_spans", "_stamps", "_zones")

    def __init__(self) -> None:
        self._lines: dict[tuple[str, str], str] = {}
        self._spans: dict[tuple[ZoneInfo, int], tuple[tuple[datetime, datetime], ...]] = {}
        self._near: dict[tuple[ZoneInfo, int], tuple[tuple[datetime, datetime], ...]] = {}
        self._zones: dict[ZoneInfo, tuple[str, str]] = {}
        # A series' occurrences are made, and changed, at one instant: written once.
        self._stamps: dict[datetime, str] = {}
        # Notes before a booking's link, escaped: they repeat, the link does not.
        self._heads: dict[str, str] = {}

    def event(self, event: Event) -> Written:
        """A checked `Event`, written."""
        text = self.vevent(
            event.uid,
            event.start,
            event.end,
            event.tz,
            event.summary,
            event.status,
            event.sequence,
            event.last_modified,
            event.created,
            event.location,
            event.description,
            event.url,
            event.categories,
            event.organizer,
            event.attendees,
        )
        return Written(event.start, event.uid, event.end, event.tz, text)

    def vevent(  # noqa: PLR0913  (the properties of a VEVENT)
        self,
        uid: str,
        start: datetime,
        end: datetime,
        tz: ZoneInfo,
        summary: str,
        status: str,
        sequence: int,
        last_modified: datetime,
        created: datetime | None = None,
        location: str = "",
        description: str = "",
        url: str = "",
        categories: tuple[str, ...] = (),
        organizer: str = "",
        attendees: tuple[str, ...] = (),
        description_line: str = "",
    ) -> str:
        """One VEVENT as CRLF-separated, folded lines (without the final CRLF).

        The values are those of an `Event` and must hold what it checks (aware times, end
        after start, a known status); the feeds pass database rows that do. A feed writes
        hundreds of these: the common cases are inlined (see `content_line`).
        `description_line`: the DESCRIPTION line already written (`linked_notes`), instead
        of `description`."""
        seen = self._lines
        stamp = self._stamps.get(last_modified)
        if stamp is None:
            stamp = self._stamps[last_modified] = format_utc(last_modified)
        modified = stamp
        text = f"BEGIN:VEVENT\r\n{content_line('UID', uid)}\r\nDTSTAMP:{stamp}\r\n"
        text += self._times(start, end, tz)
        line = seen.get(("SUMMARY", summary))
        if line is None:
            line = seen["SUMMARY", summary] = content_line("SUMMARY", summary) + "\r\n"
        text += line
        if location:
            line = seen.get(("LOCATION", location))
            if line is None:
                line = seen["LOCATION", location] = content_line("LOCATION", location) + "\r\n"
            text += line
        if description_line:
            text += description_line
        elif description:
            line = seen.get(("DESCRIPTION", description))
            if line is None:
                line = content_line("DESCRIPTION", description) + "\r\n"
                seen["DESCRIPTION", description] = line
            text += line
        if url:
            # isprintable(): no control character (tab and line feed included) to drop.
            line = "URL:" + (url if url.isprintable() else CONTROL.sub("", url).replace("\n", ""))
            if len(line) > MAX_LINE_OCTETS or not line.isascii():
                line = fold(line)
            text += line + "\r\n"
        if categories:
            # A comma inside a category is legal when escaped, but icalendar reads it raw:
            # category names lose their commas rather than be read two ways.
            key = ("CATEGORIES", "\n".join(categories))
            line = seen.get(key)
            if line is None:
                names = (escape_text(" ".join(c.replace(",", " ").split())) for c in categories)
                line = seen[key] = fold("CATEGORIES:" + ",".join(names)) + "\r\n"
            text += line
        if organizer:
            text += fold("ORGANIZER:mailto:" + CONTROL.sub("", organizer)) + "\r\n"
        for attendee in attendees:
            text += fold("ATTENDEE;RSVP=FALSE:mailto:" + CONTROL.sub("", attendee)) + "\r\n"
        # A cancelled occurrence no longer makes anyone busy.
        transp = "TRANSPARENT" if status == "CANCELLED" else "OPAQUE"
        text += f"STATUS:{status}\r\nTRANSP:{transp}\r\nSEQUENCE:{sequence}\r\n"
        if created is not None:
            if created != last_modified:
                stamp = self._stamps.get(created)
                if stamp is None:
                    stamp = self._stamps[created] = format_utc(created)
            text += "CREATED:" + stamp
            text += "\r\n"
        return text + f"LAST-MODIFIED:{modified}\r\nEND:VEVENT"

    def linked_notes(self, head: str, url: str) -> str:
        """The DESCRIPTION line, with its CRLF, of `head`, a line break and `url`: what
        `content_line` writes, `head` escaped once per calendar. `url` must need no escaping
        (`needs_escaping`): a feed's links differ only by the booking's number."""
        escaped = self._heads.get(head)
        if escaped is None:
            # With its line break: a CR ending `head` is the CRLF content_line would see.
            escaped = self._heads[head] = escape_text(head + "\n")
        return fold("DESCRIPTION:" + escaped + url) + "\r\n"

    def _times(self, start: datetime, end: datetime, tz: ZoneInfo) -> str:
        """DTSTART and DTEND, each with its CRLF."""
        year = start.year
        near = self._near.get((tz, year))
        if near is None:
            near = self._near[tz, year] = near_repeated(tz, year)
        # Far (a day or more) from every night whose wall times repeat, and both ends in one
        # year: no need to ask whether the clock shows them twice.
        if end.year != year:
            return self._times_near_change(start, end, tz)
        for low, high in near:  # a loop, not any(): no generator for each event
            if low <= start < high or low <= end < high:
                return self._times_near_change(start, end, tz)
        zone = self._zones.get(tz)
        if zone is None:
            zone = self._zones[tz] = (f"DTSTART;TZID={tz.key}:", f"\r\nDTEND;TZID={tz.key}:")
        s, e = start.astimezone(tz), end.astimezone(tz)
        return (
            f"{zone[0]}{DATE_TIME % (s.year, s.month, s.day, s.hour, s.minute, s.second)}"
            f"{zone[1]}{DATE_TIME % (e.year, e.month, e.day, e.hour, e.minute, e.second)}\r\n"
        )

    def _times_near_change(self, start: datetime, end: datetime, tz: ZoneInfo) -> str:
        """DTSTART and DTEND of an event within a day of a change of offset."""
        start, end = start.astimezone(tz), end.astimezone(tz)
        # A wall time shown twice (the repeated autumn hour) names its first pass with a TZID
        # (RFC 5545 3.3.5), but libical, ical.js and icalevents read the second: only UTC
        # means the same instant to all. Both ends go to UTC then, as recurring-ical-events
        # misreads an event whose start and end use different forms.
        if self._repeated(start, tz) or self._repeated(end, tz):
            return f"DTSTART:{format_utc(start)}\r\nDTEND:{format_utc(end)}\r\n"
        key = tz.key
        return (
            f"DTSTART;TZID={key}:{format_local(start)}\r\nDTEND;TZID={key}:{format_local(end)}\r\n"
        )

    def _repeated(self, local: datetime, tz: ZoneInfo) -> bool:
        """Whether the clock shows this wall time twice (first or second pass)."""
        spans = self._spans.get((tz, local.year))
        if spans is None:
            spans = self._spans[tz, local.year] = repeated_wall_times(tz, local.year)
        # Same tzinfo on both sides: Python compares the wall times, whatever their fold.
        # A loop, not any(): no generator for each of a year's thousand times.
        for low, high in spans:  # noqa: SIM110
            if low <= local < high:
                return True
        return False
