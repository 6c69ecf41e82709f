"""The permanence appointments of a feed, written straight from their rows.

pole.feeds.appointments says which appointments a feed holds and how each reads
(`appointment_event`); this writes the same text without building an event for each, and
takes from the memo (pole.feeds.memo) what this process wrote already from the same row, as
pole.feeds.bookings does for bookings.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from pole.core.stored_time import as_utc, stored_utc
from pole.db import UTCDateTime, db
from pole.feeds import ical
from pole.feeds.appointments import (
    APPOINTMENT_SUBJECTS,
    FEED_COLUMNS,
    appointment_uid,
    bound_feed_filter,
    feed_statement,
)
from pole.feeds.feed import SUMMARY_PREFIX, Feed, Places, Window
from pole.feeds.memo import written_memo
from pole.permanences import rules
from pole.permanences.rules import APPOINTMENT_STATUS_LABELS

# The feed's statement, built once per kind with bound parameters (pole.feeds.booking_rows
# does the same for bookings): `appointments_for_feed`'s columns, its instants as the driver
# gives them, read as plain rows.
_RAW_COLUMNS = tuple(
    stored_utc(column) if isinstance(column.type, UTCDateTime) else column
    for column in FEED_COLUMNS
)


def _raw_statement(kind: str) -> sa.Select:
    whose, shown = bound_feed_filter(kind, sa.bindparam("subject", type_=sa.Integer))
    return feed_statement(_RAW_COLUMNS, whose, shown)


_RAW = {kind: _raw_statement(kind) for kind in APPOINTMENT_SUBJECTS}


def written_appointments(
    feed: Feed, window: Window, _link: Callable[[int], str] | None, writer: ical.Writer
) -> list[ical.Written]:
    """appointment_events, written: the same text, without a FeedAppointment nor an Event for
    each row (rows from the database hold what an Event checks), and what this process wrote
    already from the same row for the same kind of feed taken from the memo
    (pole.feeds.memo), as bookings.written_bookings does. A social worker's year holds some
    900 appointments: written from nothing, they took 17 ms of her feed's 26."""
    kind = feed.kind
    statement = _RAW[kind]
    connection = db.session.connection(bind_arguments={"clause": statement})
    parameters = {
        "subject": feed.subject_id,
        "start": window.start,
        "end": window.end,
        "cancelled_since": window.cancelled_since,
    }
    memo = written_memo()
    remembered, remember = memo.get, memo.put
    social_worker = kind == "social_worker"
    places = Places()
    vevent = writer.vevent
    written = []
    append = written.append
    for row in connection.execute(statement, parameters).all():
        row = tuple(row)  # noqa: PLW2901 (a plain tuple compares in C, a Row in Python)
        key = (_MEMO_KIND, kind, row)
        event = remembered(key)
        if event is not None:
            append(event)
            continue
        (
            appointment_id,
            start,
            end,
            purpose,
            association_name,
            status,
            updated_at,
            sequence,
            permanence_title,
            room_name,
            created_at,
            ccas_short_name,
            site_name,
            site_address,
            timezone,
        ) = row
        start, end = as_utc(start), as_utc(end)
        updated_at, created_at = as_utc(updated_at), as_utc(created_at)
        tz = places.zone(timezone)
        location = places.place(room_name, site_name, site_address)
        purpose_label = rules.PURPOSES[purpose]
        cancelled = status == "cancelled"
        if social_worker:
            summary = f"Rendez-vous {ccas_short_name} — {purpose_label} ({association_name})"
        else:
            summary = f"Rendez-vous avec l'assistante sociale — {purpose_label}"
        if cancelled:
            summary = SUMMARY_PREFIX["cancelled"] + summary
        notes = f"{association_name}\n{permanence_title}\nObjet : {purpose_label}"
        if status != "booked" and (social_worker or cancelled):
            notes += f"\nStatut : {APPOINTMENT_STATUS_LABELS[status]}"
        uid = appointment_uid(kind, f"appointment-{appointment_id}", created_at)
        text = vevent(
            uid,
            start,
            end,
            tz,
            summary,
            "CANCELLED" if cancelled else "CONFIRMED",
            sequence,
            updated_at,
            created_at,
            location,
            notes,
            "",
            (ccas_short_name,),
        )
        event = ical.Written(start, uid, end, tz, text)
        remember(key, event)
        append(event)
    return written


# The first item of an appointment's key in the memo, which bookings' keys never start with.
_MEMO_KIND = "appointment"
