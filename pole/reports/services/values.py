"""What each resource is worth, from a date: read and set by the building manager."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from pole.core.refusals import Refused
from pole.db import db, utcnow, write_transaction
from pole.events.record import record
from pole.reports import rules
from pole.reports.models import ResourceValue
from pole.resources.models import Resource


class ValueRefused(Refused):
    """A value that would change the past."""


@dataclass(frozen=True)
class ValueData:
    resource_id: int
    valid_from: date
    per_hour: int | None
    per_half_day: int | None
    per_day: int | None


def values_by_resource(resource_ids: list[int]) -> dict[int, list[ResourceValue]]:
    """Each resource's values, oldest first."""
    found: dict[int, list[ResourceValue]] = {rid: [] for rid in resource_ids}
    rows = db.session.scalars(
        db.select(ResourceValue)
        .where(ResourceValue.resource_id.in_(resource_ids))
        .order_by(ResourceValue.resource_id, ResourceValue.valid_from)
    )
    for row in rows:
        found.setdefault(row.resource_id, []).append(row)
    return found


def set_value(data: ValueData, user_id: int | None, now: datetime | None = None) -> ResourceValue:
    """Give a resource a value from a date on; a value set again for the same date replaces it."""
    now = now or utcnow()
    with write_transaction(now=now):
        resource = db.session.get(Resource, data.resource_id, with_for_update=True)
        if resource is None:
            raise ValueRefused.because("Choisissez une salle ou du matériel.", "resource_id")
        existing = {
            v.valid_from: v
            for v in db.session.scalars(
                db.select(ResourceValue).where(ResourceValue.resource_id == resource.id)
            )
        }
        today = now.astimezone(resource.site.tz).date()
        reasons = rules.check_value(data.valid_from, set(existing), today)
        if reasons:
            raise ValueRefused(reasons)
        value = existing.get(data.valid_from)
        if value is None:
            value = ResourceValue(resource_id=resource.id, valid_from=data.valid_from)
            db.session.add(value)
        value.per_hour_cents = data.per_hour
        value.per_half_day_cents = data.per_half_day
        value.per_day_cents = data.per_day
        value.created_by_id = user_id
        value.created_at = now
        db.session.flush()
        value_id = value.id
        # The manager's own setting: in the journal, never a notice (no organisation).
        record(
            "resource_value.set",
            actor=user_id,
            now=now,
            resource=resource.id,
            after={
                "valid_from": data.valid_from.isoformat(),
                "per_hour": data.per_hour,
                "per_half_day": data.per_half_day,
                "per_day": data.per_day,
            },
            resource_value=value_id,
        )
    return db.session.get(ResourceValue, value_id)
