"""What each kind of feed shows: its event sources.

Each source loads its rows in one query and turns them into `ical.Event` values
(pole.feeds.ical writes the bytes), and gives a cheap *version* (a count and the last change
of its rows, one aggregate) that pole.feeds.cache compares.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime

from pole.feeds import appointments, booking_rows, bookings, ical, written_appointments
from pole.feeds.feed import PUBLIC, Feed, Window
from pole.feeds.models import FEED_KINDS


@dataclass(frozen=True)
class EventSource:
    """Something feeds show. `load(feed, window, link)` gives its events in the window (one
    query); `version(feed, window)` a cheap value that changes whenever they may have, with
    the time of the last change (None if unknown). `write(feed, window, link, writer)`, if
    given, writes the same events straight from its rows (hundreds a feed: a year of the hall's
    bookings, of the social worker's appointments)."""

    name: str
    load: Callable[[Feed, Window, Callable[[int], str] | None], list[ical.Event]]
    version: Callable[[Feed, Window], tuple[Hashable, datetime | None]]
    write: (
        Callable[[Feed, Window, Callable[[int], str] | None, ical.Writer], list[ical.Written]]
        | None
    ) = None


BOOKINGS = EventSource(
    "bookings", bookings.booking_events, booking_rows.booking_version, bookings.written_bookings
)
SOCIAL_WORKER_BOOKINGS = EventSource(
    "social_worker_bookings",
    bookings.bookings_made_by_social_worker,
    booking_rows.booking_version,
    bookings.written_social_worker_bookings,
)
APPOINTMENTS = EventSource(
    "appointments",
    appointments.appointment_events,
    appointments.appointment_version,
    written_appointments.written_appointments,
)

# The extension point: what each kind of feed shows. A new source brings its own `load` (one
# query) and `version` (one aggregate); ical.py needs no change.
EVENT_SOURCES: dict[str, tuple[EventSource, ...]] = {
    "organisation": (BOOKINGS, APPOINTMENTS),
    "resource": (BOOKINGS,),
    "social_worker": (SOCIAL_WORKER_BOOKINGS, APPOINTMENTS),
    "personal": (BOOKINGS,),
    PUBLIC: (BOOKINGS,),
}
assert set(EVENT_SOURCES) == {*FEED_KINDS, PUBLIC}
