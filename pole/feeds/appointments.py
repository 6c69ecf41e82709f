"""The permanence appointments a feed holds: the social worker's and each association's.

One query loads them, and never the beneficiary reference nor the note (DESIGN rule 5); one
aggregate gives the version that the feed cache compares.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from pole.db import db
from pole.feeds import ical, versions
from pole.feeds.feed import SUMMARY_PREFIX, UID_NAMESPACE, Feed, Window, place
from pole.organisations.models import Organisation
from pole.permanences import rules
from pole.permanences.models import Appointment, Permanence
from pole.permanences.rules import APPOINTMENT_STATUS_LABELS
from pole.resources.models import Resource, Site


@dataclass(frozen=True)
class FeedAppointment:
    """An appointment as a calendar may show it: never the beneficiary reference or the note."""

    uid: str  # stable: "appointment-<id>"
    start: datetime  # aware UTC
    end: datetime
    purpose_label: str
    association_name: str
    status: str  # booked, seen, no_show or cancelled
    is_cancelled: bool
    updated_at: datetime
    sequence: int
    permanence_title: str
    room_name: str
    created_at: datetime
    ccas_short_name: str  # the organisation holding the permanence
    site_name: str
    site_address: str
    timezone: str


class FeedVersion(NamedTuple):
    """Changes whenever a feed's appointments may have: count, last change, edits, newest."""

    count: int
    last_change: datetime | None
    sequences: int
    highest_id: int | None


_Ccas = so.aliased(Organisation)
FEED_COLUMNS = (
    Appointment.id,
    Appointment.start,
    Appointment.end,
    Appointment.purpose,
    Organisation.name.label("association_name"),
    Appointment.status,
    Appointment.updated_at,
    Appointment.sequence,
    Permanence.title.label("permanence_title"),
    Resource.name.label("room_name"),
    Appointment.created_at,
    _Ccas.short_name.label("ccas_short_name"),
    Site.name.label("site_name"),
    Site.address.label("site_address"),
    Site.timezone,
)


def feed_statement(
    columns: tuple, whose: sa.ColumnElement[bool], shown: sa.ColumnElement[bool]
) -> sa.Select:
    """`columns` of the appointments `whose` and `shown` (feed_filter), in order, with their
    association, permanence, the CCAS that holds it, its room and the room's site."""
    return (
        sa.select(*columns)
        .join(Permanence, Permanence.id == Appointment.permanence_id)
        .join(Organisation, Organisation.id == Appointment.organisation_id)
        .join(_Ccas, _Ccas.id == Permanence.organisation_id)
        .join(Resource, Resource.id == Permanence.resource_id)
        .join(Site, Site.id == Resource.site_id)
        .where(whose, shown)
        .order_by(Appointment.start, Appointment.id)
    )


def feed_filter(
    start: datetime,
    end: datetime,
    social_worker_id: int | None,
    organisation_id: int | None,
    cancelled_since: datetime | None,
) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[bool]]:
    """Whose appointments (one social worker's, or one association's), and which are shown."""
    if (social_worker_id is None) == (organisation_id is None):
        raise ValueError("give exactly one of social_worker_id and organisation_id")
    if social_worker_id is not None:
        whose = Permanence.social_worker_id == social_worker_id
    else:
        whose = Appointment.organisation_id == organisation_id
    shown = sa.and_(Appointment.start < end, Appointment.end > start)
    if cancelled_since is not None:
        shown = sa.and_(
            shown,
            sa.or_(Appointment.status != "cancelled", Appointment.updated_at >= cancelled_since),
        )
    return whose, shown


def appointments_for_feed(
    start: datetime,
    end: datetime,
    *,
    social_worker_id: int | None = None,
    organisation_id: int | None = None,
    cancelled_since: datetime | None = None,
) -> list[FeedAppointment]:
    """Appointments that touch [start, end) of one social worker or of one association.

    Cancelled ones are included (flagged) so that a feed can announce them; with
    `cancelled_since`, only those cancelled since then. One query, which never reads the
    beneficiary reference nor the note.
    """
    whose, shown = feed_filter(start, end, social_worker_id, organisation_id, cancelled_since)
    query = feed_statement(FEED_COLUMNS, whose, shown)
    return [
        FeedAppointment(
            uid=f"appointment-{row.id}",
            start=row.start,
            end=row.end,
            purpose_label=rules.PURPOSES[row.purpose],
            association_name=row.association_name,
            status=row.status,
            is_cancelled=row.status == "cancelled",
            updated_at=row.updated_at,
            sequence=row.sequence,
            permanence_title=row.permanence_title,
            room_name=row.room_name,
            created_at=row.created_at,
            ccas_short_name=row.ccas_short_name,
            site_name=row.site_name,
            site_address=row.site_address,
            timezone=row.timezone,
        )
        for row in db.session.execute(query)
    ]


def appointments_feed_version(
    start: datetime,
    end: datetime,
    *,
    social_worker_id: int | None = None,
    organisation_id: int | None = None,
    cancelled_since: datetime | None = None,
    changed_since: datetime | None = None,
) -> FeedVersion:
    """What `appointments_for_feed` would return, summed up in one aggregate query.

    Appointments changed since `changed_since` count even when they are no longer shown, so
    that one moved out of sight or cancelled long after it ended still changes the version.
    """
    whose, shown = feed_filter(start, end, social_worker_id, organisation_id, cancelled_since)
    if changed_since is not None:
        shown = sa.or_(shown, Appointment.updated_at >= changed_since)
    query = (
        sa.select(
            sa.func.count(Appointment.id),
            sa.func.max(Appointment.updated_at),
            sa.func.coalesce(sa.func.sum(Appointment.sequence), 0),
            sa.func.max(Appointment.id),
        )
        .join(Permanence, Permanence.id == Appointment.permanence_id)
        .where(whose, shown)
    )
    count, last, sequences, highest = db.session.execute(query).one()
    return FeedVersion(count, last, int(sequences), highest)


# Whose appointments a feed holds: those in the social worker's permanences, or those the
# association booked. The beneficiary reference and the note are never loaded.
APPOINTMENT_SUBJECTS = {"social_worker": "social_worker_id", "organisation": "organisation_id"}


def bound_feed_filter(
    kind: str, subject: sa.ColumnElement
) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[bool]]:
    """feed_filter for the feed of this kind whose subject is `subject` (a bound parameter or
    a column), its window the bound parameters "start", "end" and "cancelled_since"."""
    instant = versions.INSTANT
    return feed_filter(
        sa.bindparam("start", type_=instant),
        sa.bindparam("end", type_=instant),
        subject if kind == "social_worker" else None,
        subject if kind == "organisation" else None,
        sa.bindparam("cancelled_since", type_=instant),
    )


def correlated_version(kind: str, subject: sa.ColumnElement, dialect: str) -> sa.ScalarSelect:
    """appointment_version's aggregate as one value (pole.feeds.versions), for the feed of this
    kind whose subject is `subject`, a column of the enclosing query (the feed link's); the
    window comes from the bound "start", "end", "cancelled_since" and "day"."""
    instant = versions.INSTANT
    whose, shown = bound_feed_filter(kind, subject)
    shown = sa.or_(shown, Appointment.updated_at >= sa.bindparam("day", type_=instant))
    aggregates = (
        sa.func.count(Appointment.id),
        sa.func.max(Appointment.updated_at),
        sa.func.coalesce(sa.func.sum(Appointment.sequence), sa.literal_column("0")),
        sa.func.max(Appointment.id),
    )
    statement = (
        sa.select(versions.packed(dialect, *aggregates))
        .join(Permanence, Permanence.id == Appointment.permanence_id)
        .where(whose, shown)
        .correlate(subject.table)
    )
    tables = (Appointment.__table__, "a"), (Permanence.__table__, "p")
    return versions.shortened(statement, *tables).scalar_subquery()


def _appointment_filter(feed: Feed, window: Window) -> dict:
    try:
        subject = APPOINTMENT_SUBJECTS[feed.kind]
    except KeyError:
        raise ValueError(f"no appointments in a {feed.kind!r} feed") from None
    return {subject: feed.subject_id, "cancelled_since": window.cancelled_since}


def appointment_version(feed: Feed, window: Window) -> tuple[Hashable, datetime | None]:
    """Changes whenever an appointment of the feed does, as booking_version for bookings."""
    version = appointments_feed_version(
        window.start, window.end, changed_since=window.day, **_appointment_filter(feed, window)
    )
    return tuple(version), version.last_change


@lru_cache(maxsize=100_000)
def appointment_uid(kind: str, appointment_uid: str, created_at: datetime) -> str:
    """A UID that never changes for this appointment in this kind of feed, unlike any booking's.

    The social worker's copy and the association's copy differ, as for bookings."""
    created = created_at.astimezone(UTC).isoformat()
    return str(uuid.uuid5(UID_NAMESPACE, f"{kind}/{appointment_uid}/{created}"))


def appointment_summary(kind: str, appointment: FeedAppointment) -> str:
    """The social worker reads "Rendez-vous CCAS — Logement (Restos du cœur)", the association
    "Rendez-vous avec l'assistante sociale — Logement"; a cancelled one says so first."""
    if kind == "social_worker":
        title = (
            f"Rendez-vous {appointment.ccas_short_name} — {appointment.purpose_label} "
            f"({appointment.association_name})"
        )
    else:
        title = f"Rendez-vous avec l'assistante sociale — {appointment.purpose_label}"
    return (SUMMARY_PREFIX["cancelled"] if appointment.is_cancelled else "") + title


def appointment_event(kind: str, appointment: FeedAppointment) -> ical.Event:
    """An appointment as a calendar event: its purpose and association, never who is received.

    Whether the person came (seen, no-show) is the social worker's to read, not the
    association's: its own screens only say whether an appointment is cancelled."""
    lines = [appointment.association_name, appointment.permanence_title]
    lines.append(f"Objet : {appointment.purpose_label}")
    if appointment.status != "booked" and (kind == "social_worker" or appointment.is_cancelled):
        lines.append(f"Statut : {APPOINTMENT_STATUS_LABELS[appointment.status]}")
    return ical.Event(
        uid=appointment_uid(kind, appointment.uid, appointment.created_at),
        start=appointment.start,
        end=appointment.end,
        tz=ZoneInfo(appointment.timezone),
        summary=appointment_summary(kind, appointment),
        status="CANCELLED" if appointment.is_cancelled else "CONFIRMED",
        sequence=appointment.sequence,
        last_modified=appointment.updated_at,
        created=appointment.created_at,
        location=place(appointment.room_name, appointment.site_name, appointment.site_address),
        description="\n".join(lines),
        categories=(appointment.ccas_short_name,),
    )


def appointment_events(
    feed: Feed, window: Window, link: Callable[[int], str] | None
) -> list[ical.Event]:
    """The feed's permanence appointments in its window, as events (one query)."""
    rows = appointments_for_feed(window.start, window.end, **_appointment_filter(feed, window))
    return [appointment_event(feed.kind, row) for row in rows]
