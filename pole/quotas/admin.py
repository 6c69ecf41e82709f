"""The manager's quota pages: list, save and delete quotas and groups of resources."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from pole.db import db, utcnow, write_transaction
from pole.events.record import record
from pole.formatting import format_hours, format_numeric_date
from pole.organisations.models import Organisation
from pole.quotas.models import Quota, ResourceGroup
from pole.resources.models import Resource

KIND_WHO = {"association": "Chaque association", "partner": "Chaque partenaire"}
KIND_WHO_IN_A_SENTENCE = {"association": "chaque association", "partner": "chaque partenaire"}


@dataclass(frozen=True)
class QuotaData:
    """A quota as the form gives it: who ("org:3" or "kind:association"), what ("resource:1"
    or "group:2"), the period and how much."""

    who: str
    what: str
    period: str
    unit: str
    maximum: int
    season_start: date | None = None
    season_end: date | None = None


def all_quotas() -> list[Quota]:
    return list(
        db.session.scalars(
            db.select(Quota)
            .options(
                sa.orm.joinedload(Quota.organisation),
                sa.orm.joinedload(Quota.resource),
                sa.orm.joinedload(Quota.group),
            )
            .order_by(Quota.id)
        )
    )


def all_groups() -> list[ResourceGroup]:
    return list(
        db.session.scalars(
            db.select(ResourceGroup)
            .options(sa.orm.selectinload(ResourceGroup.members))
            .order_by(ResourceGroup.name)
        )
    )


def who_choices() -> list[tuple[str, str]]:
    organisations = db.session.scalars(
        db.select(Organisation).where(
            Organisation.is_active, Organisation.kind.in_(("association", "partner"))
        )
    ).all()
    organisations = sorted(organisations, key=lambda o: o.sort_key)
    return [(f"kind:{k}", label) for k, label in KIND_WHO.items()] + [
        (f"org:{o.id}", o.name) for o in organisations
    ]


def what_choices(resources: list[Resource]) -> list[tuple[str, str]]:
    return [(f"resource:{r.id}", r.name) for r in resources] + [
        (f"group:{g.id}", f"Groupe : {g.name}") for g in all_groups()
    ]


def who_of(quota: Quota) -> str:
    return (
        f"org:{quota.organisation_id}"
        if quota.organisation_id
        else f"kind:{quota.organisation_kind}"
    )


def what_of(quota: Quota) -> str:
    return f"group:{quota.group_id}" if quota.group_id else f"resource:{quota.resource_id}"


def describe(quota: Quota) -> str:
    """'20 h par mois' or '3 réservations du 1er nov. au 31 mars'."""
    amount = (
        format_hours(quota.maximum * 60)
        if quota.unit == "hours"
        else f"{quota.maximum} réservation{'s' if quota.maximum > 1 else ''}"
    )
    if quota.period == "week":
        return f"{amount} par semaine"
    if quota.period == "month":
        return f"{amount} par mois"
    first, last = format_numeric_date(quota.season_start), format_numeric_date(quota.season_end)
    return f"{amount} du {first} au {last}"


def quota_state(quota: Quota) -> dict:
    """A quota said in words, as its event keeps it: for whom, where, how much."""
    if quota.organisation_id is not None:
        who = db.session.get(Organisation, quota.organisation_id).name
    else:
        who = KIND_WHO_IN_A_SENTENCE[quota.organisation_kind]
    if quota.group_id is not None:
        place = f"dans {db.session.get(ResourceGroup, quota.group_id).name}"
    else:
        place = f"dans « {db.session.get(Resource, quota.resource_id).name} »"
    return {"who": who, "place": place, "rule": describe(quota)}


def _record_quota(kind: str, quota: Quota, actor: Any, now: datetime, **states: dict) -> None:
    """A quota's event: an association's own quota is news for it; a default is the manager's."""
    record(
        kind,
        actor=actor,
        now=now,
        organisation=quota.organisation_id,
        resource=quota.resource_id,
        quota=quota.id,
        **states,
    )


def group_state(group: ResourceGroup) -> dict:
    # In the building's order: the database returns a group's members in no set order.
    members = sorted(group.members, key=lambda r: (r.position, r.id))
    return {"name": group.name, "members": [r.name for r in members]}


def save_quota(
    data: QuotaData, quota_id: int | None = None, actor: Any = None, now: datetime | None = None
) -> int:
    """Create or change a quota, and record it."""
    now = now or utcnow()
    who_kind, who_id = data.who.split(":", 1)
    what_kind, what_id = data.what.split(":", 1)
    with write_transaction(now=now):
        quota = db.session.get(Quota, quota_id) if quota_id else Quota()
        before = quota_state(quota) if quota_id else None
        quota.organisation_id = int(who_id) if who_kind == "org" else None
        quota.organisation_kind = who_id if who_kind == "kind" else None
        quota.resource_id = int(what_id) if what_kind == "resource" else None
        quota.group_id = int(what_id) if what_kind == "group" else None
        quota.period = data.period
        quota.unit = data.unit
        quota.maximum = data.maximum
        season = data.period == "season"
        quota.season_start = data.season_start if season else None
        quota.season_end = data.season_end if season else None
        db.session.add(quota)
        db.session.flush()
        after = quota_state(quota)
        if before is None:
            _record_quota("quota.created", quota, actor, now, after=after)
        elif before != after:
            _record_quota("quota.changed", quota, actor, now, before=before, after=after)
        return quota.id


def delete_quota(quota_id: int, actor: Any = None, now: datetime | None = None) -> None:
    now = now or utcnow()
    with write_transaction(now=now):
        quota = db.session.get(Quota, quota_id)
        if quota is None:
            return
        _record_quota("quota.deleted", quota, actor, now, before=quota_state(quota))
        db.session.execute(sa.delete(Quota).where(Quota.id == quota_id))


def save_group(
    name: str,
    member_ids: list[int],
    group_id: int | None = None,
    actor: Any = None,
    now: datetime | None = None,
) -> int:
    """Create or change a group of resources (its quotas then count the new members)."""
    now = now or utcnow()
    with write_transaction(now=now):
        group = db.session.get(ResourceGroup, group_id) if group_id else ResourceGroup()
        before = group_state(group) if group_id else None
        group.name = name
        group.members = list(
            db.session.scalars(db.select(Resource).where(Resource.id.in_(member_ids)))
        )
        db.session.add(group)
        db.session.flush()
        after = group_state(group)
        if before is None:
            record("resource_group.created", actor=actor, now=now, after=after,
                   resource_group=group.id)  # fmt: skip
        elif before != after:
            record("resource_group.changed", actor=actor, now=now, before=before, after=after,
                   resource_group=group.id)  # fmt: skip
        return group.id


def group_name_taken(name: str, group_id: int | None) -> bool:
    query = db.select(ResourceGroup.id).where(sa.func.lower(ResourceGroup.name) == name.lower())
    if group_id:
        query = query.where(ResourceGroup.id != group_id)
    return db.session.scalar(query) is not None


def delete_group(group_id: int, actor: Any = None, now: datetime | None = None) -> None:
    """Delete a group, and the quotas counted on it (each recorded: an association's own
    quota going is news for it)."""
    now = now or utcnow()
    with write_transaction(now=now):
        group = db.session.get(ResourceGroup, group_id)
        if group is None:
            return
        quotas = db.session.scalars(
            db.select(Quota).where(Quota.group_id == group_id).order_by(Quota.id)
        ).all()
        for quota in quotas:
            _record_quota("quota.deleted", quota, actor, now, before=quota_state(quota))
        record("resource_group.deleted", actor=actor, now=now, before=group_state(group),
               resource_group=group.id)  # fmt: skip
        db.session.execute(sa.delete(Quota).where(Quota.group_id == group_id))
        db.session.execute(sa.delete(ResourceGroup).where(ResourceGroup.id == group_id))
