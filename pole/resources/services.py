"""Sites and resources."""

from __future__ import annotations

from dataclasses import dataclass, field

from pole.db import db, write_transaction
from pole.resources.models import Resource, Site


@dataclass(frozen=True)
class ResourceData:
    name: str
    kind: str
    description: str
    capacity: int | None
    quantity: int
    unit_label: str
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
    is_active: bool = True


def active_resources(site: Site) -> list[Resource]:
    return db.session.scalars(
        db.select(Resource)
        .where(Resource.site_id == site.id, Resource.is_active)
        .order_by(Resource.position, Resource.id)
    ).all()


def save_resource(site: Site, data: ResourceData, resource_id: int | None = None) -> int:
    with write_transaction():
        if resource_id is None:
            resource = Resource(site_id=site.id)
            db.session.add(resource)
        else:
            resource = db.session.get(Resource, resource_id)
        for name, value in data.__dict__.items():
            setattr(resource, name, value)
        db.session.flush()
        return resource.id
