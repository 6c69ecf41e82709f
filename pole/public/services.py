"""What the public page shows, read in a few queries; the presentations, written."""

from __future__ import annotations

import hashlib
import json
import operator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, NamedTuple

import sqlalchemy as sa

from pole.bookings.models import LONGEST_BOOKING, Booking
from pole.db import db, utcnow, write_transaction
from pole.events.record import record
from pole.organisations.models import Organisation
from pole.public import rules
from pole.resources.models import Closure, Resource, Site

AHEAD = timedelta(days=60)
MAX_EVENTS = 40


class PlaceRow(NamedTuple):
    id: int
    name: str
    address: str
    directions: str
    timezone: str  # the page's times are written in it


class ClosureRow(NamedTuple):
    start: datetime
    end: datetime
    reason: str


class OrganisationRow(NamedTuple):
    id: int
    name: str
    public_presentation: str
    public_offer: str
    public_audience: str
    public_hours: str
    public_contact: str


class EventRow(NamedTuple):
    title: str
    start: datetime
    end: datetime
    resource_name: str
    organisation_name: str | None


@dataclass(frozen=True)
class PublicPage:
    """What the public page shows, as plain rows: the same rows always make the same page,
    so their digest is the page's ETag."""

    site: PlaceRow
    hours: list[tuple[str, str]]
    closures: list[ClosureRow]
    organisations: list[OrganisationRow]
    events: list[EventRow]

    @property
    def digest(self) -> str:
        return hashlib.sha256(repr(self).encode()).hexdigest()[:32]


HOURS, CLOSURE, ORGANISATION, EVENT = 0, 1, 2, 3  # the kinds of rows the page's read answers


@cache
def _statement() -> sa.CompoundSelect:
    """The page's four reads as one statement (one round trip), built once per process (its
    values are bound per request): building a statement costs about what running it does.
    Every row is (kind, id, start, end, six texts); the kinds are sorted apart in Python."""
    site, now, ahead = sa.bindparam("site_id"), sa.bindparam("now"), sa.bindparam("ahead")
    since = sa.bindparam("since")
    text, none = sa.Text(), sa.null()
    events = (
        sa.select(
            Booking.id, Booking.start, Booking.end, Booking.title,
            Resource.name.label("resource"), Organisation.name.label("organisation"),
        )
        .join(Resource, Resource.id == Booking.resource_id)
        .outerjoin(Organisation, Organisation.id == Booking.organisation_id)
        .where(
            Resource.site_id == site,
            # Written as the partial index ix_booking_public_start's WHERE, to be read on it.
            Booking.is_public.is_(True),
            Booking.status == "confirmed",
            Booking.end > now,
            # The index range's lower bound: nothing lasts longer than LONGEST_BOOKING (a
            # CHECK), so a booking still running now started after `since`.
            Booking.start > since,
            Booking.start < ahead,
        )
        .order_by(Booking.start, Booking.id)
        .limit(MAX_EVENTS)
        .subquery()
    )  # fmt: skip
    # The first select gives the columns their types (the instants read as aware UTC).
    return sa.union_all(
        sa.select(
            sa.literal(EVENT), events.c.id, events.c.start, events.c.end,
            sa.cast(events.c.title, text), sa.cast(events.c.resource, text),
            sa.cast(events.c.organisation, text), none, none, none,
        ),
        sa.select(
            sa.literal(CLOSURE), Closure.id, Closure.start, Closure.end,
            sa.cast(Closure.reason, text), none, none, none, none, none,
        ).where(
            Closure.site_id == site,
            Closure.resource_id.is_(None),
            Closure.end > now,
            Closure.start < ahead,
        ),
        sa.select(
            sa.literal(HOURS), Resource.id, none, none,
            sa.cast(Resource.opening_hours, text), none, none, none, none, none,
        ).where(Resource.site_id == site, Resource.is_active, Resource.kind == "room"),
        sa.select(
            sa.literal(ORGANISATION), Organisation.id, none, none,
            sa.cast(Organisation.name, text), sa.cast(Organisation.public_presentation, text),
            sa.cast(Organisation.public_offer, text), sa.cast(Organisation.public_audience, text),
            sa.cast(Organisation.public_hours, text), sa.cast(Organisation.public_contact, text),
        ).where(Organisation.is_active, Organisation.public_shown),
    )  # fmt: skip


def public_page(site: Site, now: datetime | None = None) -> PublicPage:
    """The building, the organisations that chose to appear, and public events to come;
    never a private booking, nor one waiting for approval. Columns, not objects: the page
    is read by everyone, often."""
    now = now or utcnow()
    values = {"site_id": site.id, "now": now, "ahead": now + AHEAD, "since": now - LONGEST_BOOKING}
    rows: dict[int, list] = {HOURS: [], CLOSURE: [], ORGANISATION: [], EVENT: []}
    for row in db.session.execute(_statement(), values).all():
        rows[row[0]].append(row)
    by_start = operator.itemgetter(2, 1)  # start, then id: as the page lists them
    return PublicPage(
        site=PlaceRow(site.id, site.name, site.address or "", site.directions or "", site.timezone),
        hours=rules.building_hours(json.loads(row[4]) for row in rows[HOURS]),
        closures=[ClosureRow(r[2], r[3], r[4]) for r in sorted(rows[CLOSURE], key=by_start)],
        # A row has the name the organisation's French sort key reads.
        organisations=sorted(
            (OrganisationRow(r[1], *r[4:]) for r in rows[ORGANISATION]),
            key=lambda o: (Organisation.sort_key.fget(o), o.id),
        ),
        events=[EventRow(r[4], r[2], r[3], r[5], r[6]) for r in sorted(rows[EVENT], key=by_start)],
    )


@dataclass(frozen=True)
class PresentationData:
    presentation: str
    offer: str
    audience: str
    hours: str
    contact: str
    shown: bool | None  # None: left as it is (only the manager decides)


def _presentation(organisation: Organisation) -> tuple[str, ...]:
    return (
        organisation.public_presentation,
        organisation.public_offer,
        organisation.public_audience,
        organisation.public_hours,
        organisation.public_contact,
    )


def save_presentation(
    organisation_id: int, data: PresentationData, actor: Any = None, now: datetime | None = None
) -> None:
    """Save an organisation's public presentation; its change and its showing or hiding on the
    public page are recorded (news for the organisation when the manager decides)."""
    now = now or utcnow()
    with write_transaction(now=now):
        organisation = db.session.get(Organisation, organisation_id, with_for_update=True)
        before, shown_before = _presentation(organisation), bool(organisation.public_shown)
        organisation.public_presentation = data.presentation
        organisation.public_offer = data.offer
        organisation.public_audience = data.audience
        organisation.public_hours = data.hours
        organisation.public_contact = data.contact
        if data.shown is not None:
            organisation.public_shown = data.shown
        if _presentation(organisation) != before:
            record("public.presentation_changed", actor=actor, now=now,
                   organisation=organisation.id)  # fmt: skip
        shown = bool(organisation.public_shown)
        if shown != shown_before:
            record("public.shown" if shown else "public.hidden", actor=actor, now=now,
                   organisation=organisation.id, before={"shown": shown_before},
                   after={"shown": shown})  # fmt: skip


def save_directions(
    site_id: int, directions: str, actor: Any = None, now: datetime | None = None
) -> None:
    now = now or utcnow()
    with write_transaction(now=now):
        site = db.session.get(Site, site_id, with_for_update=True)
        if site.directions != directions:
            record("public.directions_changed", actor=actor, now=now)
        site.directions = directions
