"""TEMPORARY: the appointments feed source, moved to pole.feeds.appointments by H8."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
import sqlalchemy.orm as so

from pole.db import db
from pole.organisations.models import Organisation
from pole.permanences import rules
from pole.permanences.models import (
    Appointment,
    Permanence,
)
from pole.resources.models import Resource, Site

# For the calendar feeds -----------------------------------------------------------------------


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
_FEED_COLUMNS = (
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


def _feed_filter(
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
    whose, shown = _feed_filter(start, end, social_worker_id, organisation_id, cancelled_since)
    query = (
        sa.select(*_FEED_COLUMNS)
        .join(Permanence, Permanence.id == Appointment.permanence_id)
        .join(Organisation, Organisation.id == Appointment.organisation_id)
        .join(_Ccas, _Ccas.id == Permanence.organisation_id)
        .join(Resource, Resource.id == Permanence.resource_id)
        .join(Site, Site.id == Resource.site_id)
        .where(whose, shown)
        .order_by(Appointment.start, Appointment.id)
    )
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
    whose, shown = _feed_filter(start, end, social_worker_id, organisation_id, cancelled_since)
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
