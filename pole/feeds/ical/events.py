"""VEVENTs in a VCALENDAR: the frozen values the services hand over, and their bytes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .text import CONTROL, escape_text, fold, format_duration, format_local, format_utc
from .zones import repeated_wall_times, vtimezone_lines

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
        lines.append(fold("URL:" + CONTROL.sub("", event.url).replace("\n", "")))
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
        lines.append(fold("ORGANIZER:mailto:" + CONTROL.sub("", event.organizer)))
    lines.extend(fold("ATTENDEE;RSVP=FALSE:mailto:" + CONTROL.sub("", a)) for a in event.attendees)
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
