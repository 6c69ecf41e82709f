"""Sites, resources and closures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

import sqlalchemy as sa

from pole.bookings.models import ACTIVE_STATUSES, Booking
from pole.db import db, utcnow, write_transaction
from pole.events.states import record_closure
from pole.resources.models import Closure, Resource, Site
from pole.sites.services import first_site


@dataclass(frozen=True)
class ResourceData:
    name: str
    kind: str
    description: str
    capacity: int | None
    quantity: int
    unit_singular: str
    unit_plural: str
    position: int
    opening_hours: dict
    granularity_minutes: int
    min_duration_minutes: int
    max_duration_minutes: int
    max_days_ahead: int
    min_notice_minutes: int
    buffer_minutes: int
    requires_approval: bool
    allowed_kinds: list = field(default_factory=list)
    practical_info: str = ""
    is_active: bool = True


def site_or_create() -> Site:
    """The first building, created with its default name and time zone when there is none yet."""
    site = first_site()
    if site is None:
        with write_transaction():
            db.session.add(Site(name="Pôle des solidarités", timezone="Europe/Paris"))
        site = first_site()
    return site


def active_resources(site: Site) -> list[Resource]:
    """The rooms and equipment people may book, in the building's order."""
    return site_resources(site, inactive=False)


def site_resources(site: Site, *, inactive: bool = True) -> list[Resource]:
    """The site's rooms and equipment in the building's order, the retired ones too unless told."""
    return db.session.scalars(_site_resources_query(inactive), {"site_id": site.id}).all()


@cache
def _site_resources_query(inactive: bool) -> sa.Select:
    """Built once: every booking form asks it, and building it cost more than running it."""
    query = db.select(Resource).where(Resource.site_id == sa.bindparam("site_id"))
    if not inactive:
        query = query.where(Resource.is_active)
    return query.order_by(Resource.position, Resource.id)


def save_resource(site: Site, data: ResourceData, resource_id: int | None = None) -> int:
    """Add a resource to the site, or change one (and move it there)."""
    with write_transaction():
        if resource_id is None:
            resource = Resource(site_id=site.id)
            db.session.add(resource)
        else:
            resource = db.session.get(Resource, resource_id)
        resource.site_id = site.id
        for name, value in data.__dict__.items():
            setattr(resource, name, value)
        db.session.flush()
        return resource.id


# Closures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClosureData:
    """A closure already parsed: times are aware UTC; no resource means the whole site."""

    site_id: int
    resource_id: int | None
    start: datetime
    end: datetime
    reason: str


def upcoming_closures(site: Site, now: datetime | None = None) -> list[Closure]:
    """Closures of the site that have not ended yet, soonest first."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            db.select(Closure)
            .where(Closure.site_id == site.id, Closure.end > now)
            .options(sa.orm.joinedload(Closure.resource))
            .order_by(Closure.start, Closure.id)
        )
    )


def bookings_during(closure: Closure) -> list[Booking]:
    """Pending and confirmed bookings that fall, even partly, within the closure."""
    resources = db.select(Resource.id).where(Resource.site_id == closure.site_id)
    if closure.resource_id is not None:
        resources = resources.where(Resource.id == closure.resource_id)
    return list(
        db.session.scalars(
            db.select(Booking)
            .where(
                Booking.resource_id.in_(resources),
                Booking.status.in_(ACTIVE_STATUSES),
                Booking.meeting(closure.start, closure.end),
            )
            .options(sa.orm.joinedload(Booking.resource), sa.orm.joinedload(Booking.organisation))
            .order_by(Booking.start, Booking.id)
        )
    )


def create_closure(data: ClosureData, created_by_id: int | None) -> Closure:
    """Close the site or one resource; bookings already made stay for the manager to handle."""
    with write_transaction():
        closure = Closure(**data.__dict__, created_by_id=created_by_id)
        db.session.add(closure)
        db.session.flush()
        record_closure("closure.added", closure, created_by_id, utcnow())
        closure_id = closure.id
    return db.session.get(Closure, closure_id)


def delete_closure(closure: Closure, removed_by_id: int | None = None) -> None:
    with write_transaction():
        closure = db.session.get(Closure, closure.id)
        record_closure("closure.removed", closure, removed_by_id, utcnow())
        db.session.delete(closure)
