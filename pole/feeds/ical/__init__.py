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

from .events import PRODID, STATUSES, Calendar, Event, Writer, Written, calendar_bytes, to_ics
from .text import (
    MAX_LINE_OCTETS,
    clean_text,
    escape_text,
    fold,
    format_duration,
    format_local,
    format_offset,
    format_utc,
    needs_escaping,
)
from .zones import Transition, repeated_wall_times, transitions, vtimezone_lines

__all__ = [
    "MAX_LINE_OCTETS",
    "PRODID",
    "STATUSES",
    "Calendar",
    "Event",
    "Transition",
    "Writer",
    "Written",
    "calendar_bytes",
    "clean_text",
    "escape_text",
    "fold",
    "format_duration",
    "format_local",
    "format_offset",
    "format_utc",
    "needs_escaping",
    "repeated_wall_times",
    "to_ics",
    "transitions",
    "vtimezone_lines",
]
