"""The bookings of a feed as events: how much of each it tells, as its scope allows.

pole.feeds.booking_rows says which bookings each kind of feed holds and loads them; this
writes them. One booking's .ics ("Ajouter à mon agenda") is written here too, with the same
rules.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import url_for
from werkzeug.routing import BuildError

from pole import permissions
from pole.auth.models import User
from pole.bookings.models import STATUS_LABELS, Booking
from pole.feeds import ical
from pole.feeds.booking_rows import (
    BookingRow,
    BookingScope,
    booking_scope,
    booking_tuple,
    load_booking_rows,
    raw_booking_rows,
)
from pole.feeds.feed import SUMMARY_PREFIX, UID_NAMESPACE, Feed, Places, Window, place
from pole.feeds.ical import Written
from pole.feeds.memo import written_memo

ICAL_STATUS = {
    "confirmed": "CONFIRMED",
    "pending": "TENTATIVE",
    "cancelled": "CANCELLED",
    "rejected": "CANCELLED",
}


@lru_cache(maxsize=100_000)
def booking_uid(kind: str, booking_id: int, created_at: datetime) -> str:
    """A UID that never changes for this booking in this kind of feed (RFC 7986: a UUID).

    Its creation time is part of the name, so two installations never share UIDs."""
    created = created_at.astimezone(UTC).isoformat()
    return str(uuid.uuid5(UID_NAMESPACE, f"{kind}/booking/{booking_id}/{created}"))


def booking_summary(row: BookingRow, scope: BookingScope) -> str:
    """The title a feed shows; like services.booking_label, a private title stays in its
    organisation: elsewhere it reads "Réservé — <organisation>"."""
    visible = row.is_public or scope.insiders is None or row.organisation_id in scope.insiders
    if not visible:
        title = f"Réservé — {row.organisation_name}"
    elif scope.with_organisation:
        title = f"{row.title} ({row.organisation_short_name})"
    else:
        title = row.title
    return SUMMARY_PREFIX.get(row.status, "") + title


def booking_description(row: BookingRow, scope: BookingScope, url: str) -> str:
    """What the event's notes say: the organisation, the status, the description if this feed
    may show it, the booking's page."""
    visible = row.is_public or scope.insiders is None or row.organisation_id in scope.insiders
    lines = [row.organisation_name]
    if row.status != "confirmed":
        lines.append(f"Statut : {STATUS_LABELS[row.status]}")
    if visible and row.description:
        lines.append(row.description)
    if url:
        lines.append(url)
    return "\n".join(lines)


def booking_event(
    row: BookingRow, scope: BookingScope, uid_kind: str, link: Callable[[int], str] | None
) -> ical.Event:
    """A booking as a calendar event, telling only what this feed may tell of it."""
    url = link(row.id) if link is not None and scope.with_links else ""
    return ical.Event(
        uid=booking_uid(uid_kind, row.id, row.created_at),
        start=row.start,
        end=row.end,
        tz=ZoneInfo(row.timezone),
        summary=booking_summary(row, scope),
        status=ICAL_STATUS[row.status],
        sequence=row.sequence,
        last_modified=row.updated_at,
        created=row.created_at,
        location=place(row.resource_name, row.site_name, row.site_address),
        description=booking_description(row, scope, url),
        url=url,
        categories=(row.organisation_short_name,),
    )


def booking_events(
    feed: Feed, window: Window, link: Callable[[int], str] | None
) -> list[ical.Event]:
    """The feed's bookings in its window, as events."""
    scope = booking_scope(feed)
    return [booking_event(r, scope, feed.kind, link) for r in load_booking_rows(feed, window)]


def written_bookings(
    feed: Feed, window: Window, link: Callable[[int], str] | None, writer: ical.Writer
) -> list[ical.Written]:
    """The feed's bookings in its window, written: booking_event's values, without building
    an Event nor a BookingRow for each (rows from the database hold what an Event checks).

    booking_summary and booking_description, inlined: what is the same for every booking of
    the feed (its scope) or of an organisation is found once. An event this process wrote
    already from the same row, for the same kind of feed, scope and link, is taken from the
    memo (pole.feeds.memo): a feed rebuilt after one change writes only what changed."""
    scope = booking_scope(feed)
    kind = feed.kind
    link = link if scope.with_links else None
    # Links differ only by the booking's number: when none needs escaping, the notes before
    # the link are escaped once per calendar (Writer.linked_notes).
    plain_links = link is not None and not ical.needs_escaping(link(0))
    insiders, with_organisation = scope.insiders, scope.with_organisation
    memo = written_memo()
    remembered, remember = memo.get, memo.put
    # What the text depends on besides the row and the link: the same for the whole feed.
    context = (kind, with_organisation, plain_links)
    places = Places()
    categories: dict[str, tuple[str]] = {}
    hidden: dict[str, str] = {}
    vevent = writer.vevent
    written = []
    append = written.append
    # Plain tuples: a tuple compares in C, SQLAlchemy's Row in Python.
    for row in raw_booking_rows(feed, window):
        # row[0] is the booking's id, row[3] is_public, row[10] organisation_id.
        visible = row[3] or insiders is None or row[10] in insiders
        url = link(row[0]) if link is not None else ""
        key = (context, visible, url, row)
        event = remembered(key)
        if event is not None:
            append(event)
            continue
        (
            booking_id,
            title,
            description,
            _is_public,
            start,
            end,
            status,
            sequence,
            created_at,
            updated_at,
            _organisation_id,
            organisation_name,
            organisation_short_name,
            resource_name,
            site_name,
            site_address,
            timezone,
        ) = booking_tuple(row)
        tz = places.zone(timezone)
        location = places.place(resource_name, site_name, site_address)
        uid = booking_uid(kind, booking_id, created_at)
        if not visible:
            summary = hidden.get(organisation_name)
            if summary is None:
                summary = hidden[organisation_name] = f"Réservé — {organisation_name}"
        elif with_organisation:
            summary = f"{title} ({organisation_short_name})"
        else:
            summary = title
        notes = organisation_name
        if status != "confirmed":
            summary = SUMMARY_PREFIX.get(status, "") + summary
            notes += f"\nStatut : {STATUS_LABELS[status]}"
        if visible and description:
            notes += "\n" + description
        written_notes = ""
        if url:
            if plain_links:
                written_notes = writer.linked_notes(notes, url)
            notes += "\n" + url
        shown_in = categories.get(organisation_short_name)
        if shown_in is None:
            shown_in = categories[organisation_short_name] = (organisation_short_name,)
        text = vevent(
            uid,
            start,
            end,
            tz,
            summary,
            ICAL_STATUS[status],
            sequence,
            updated_at,
            created_at,
            location,
            notes,
            url,
            shown_in,
            description_line=written_notes,
        )
        event = Written(start, uid, end, tz, text)
        remember(key, event)
        append(event)
    return written


def written_social_worker_bookings(
    feed: Feed, window: Window, link: Callable[[int], str] | None, writer: ical.Writer
) -> list[ical.Written]:
    """bookings_made_by_social_worker, written."""
    return written_bookings(feed, window, link, writer)


def bookings_made_by_social_worker(
    feed: Feed, window: Window, link: Callable[[int], str] | None
) -> list[ical.Event]:
    """What the social worker booked herself as CCAS staff, her permanences' rooms included."""
    return booking_events(feed, window, link)


def booking_link() -> Callable[[int], str] | None:
    """How to link a booking's page from a feed (absolute URL), if the page exists."""
    marker = 918273645
    try:
        sample = url_for("bookings.show", booking_id=marker, _external=True)
    except BuildError:
        return None
    prefix, _, suffix = sample.partition(str(marker))
    return lambda booking_id: f"{prefix}{booking_id}{suffix}"


def booking_ics(booking: Booking, viewer: User | None) -> bytes:
    """One booking as an .ics to import ("Ajouter à mon agenda"), as this person may read it."""
    insiders = frozenset(
        [booking.organisation_id] if permissions.can_see_booking_details(viewer, booking) else []
    )
    scope = BookingScope((), (), insiders, True, True)
    event = booking_event(BookingRow.of(booking), scope, "event", booking_link())
    return ical.to_ics(ical.Calendar(name=event.summary, events=(event,)))
