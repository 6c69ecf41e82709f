"""What the public page shows, read in a few queries; the presentations, written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from pole.bookings.models import Booking
from pole.db import db, utcnow, write_transaction
from pole.events.record import record
from pole.organisations.models import Organisation
from pole.public import rules
from pole.resources.models import Closure, Resource, Site

AHEAD = timedelta(days=60)
MAX_EVENTS = 40


@dataclass(frozen=True)
class PublicPage:
    site: Site
    hours: list[tuple[str, str]]
    closures: list[Closure]
    organisations: list[Organisation]
    events: list[Booking]


def public_page(site: Site, now: datetime | None = None) -> PublicPage:
    """The building, the organisations that chose to appear, and public events to come;
    never a private booking, nor one waiting for approval."""
    now = now or utcnow()
    rooms = db.session.scalars(
        sa.select(Resource).where(
            Resource.site_id == site.id, Resource.is_active, Resource.kind == "room"
        )
    ).all()
    closures = db.session.scalars(
        sa.select(Closure)
        .where(
            Closure.site_id == site.id,
            Closure.resource_id.is_(None),
            Closure.end > now,
            Closure.start < now + AHEAD,
        )
        .order_by(Closure.start)
    ).all()
    organisations = sorted(
        db.session.scalars(
            sa.select(Organisation).where(Organisation.is_active, Organisation.public_shown)
        ),
        key=lambda o: o.sort_key,
    )
    events = db.session.scalars(
        sa.select(Booking)
        .join(Resource, Resource.id == Booking.resource_id)
        .where(
            Resource.site_id == site.id,
            Booking.is_public,
            Booking.status == "confirmed",
            Booking.end > now,
            Booking.start < now + AHEAD,
        )
        .options(
            so.contains_eager(Booking.resource).load_only(Resource.name),
            so.joinedload(Booking.organisation).load_only(Organisation.name),
        )
        .order_by(Booking.start, Booking.id)
        .limit(MAX_EVENTS)
    ).all()
    return PublicPage(
        site=site,
        hours=rules.building_hours(r.opening_hours for r in rooms),
        closures=list(closures),
        organisations=organisations,
        events=list(events),
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
