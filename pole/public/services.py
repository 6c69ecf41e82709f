"""What the public page shows, read in a few queries; the presentations, written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from pole.bookings.models import Booking
from pole.db import db, utcnow, write_transaction
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


def save_presentation(organisation_id: int, data: PresentationData) -> None:
    with write_transaction():
        organisation = db.session.get(Organisation, organisation_id, with_for_update=True)
        organisation.public_presentation = data.presentation
        organisation.public_offer = data.offer
        organisation.public_audience = data.audience
        organisation.public_hours = data.hours
        organisation.public_contact = data.contact
        if data.shown is not None:
            organisation.public_shown = data.shown


def save_directions(site_id: int, directions: str) -> None:
    with write_transaction():
        db.session.get(Site, site_id, with_for_update=True).directions = directions
