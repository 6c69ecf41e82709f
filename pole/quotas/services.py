"""Quotas on bookings: load those that apply, count what is held, refuse or let the manager pass.

Enforcement runs inside the booking's write transaction, after the resource lock: it locks
the organisation's row (PostgreSQL: SELECT ... FOR UPDATE; SQLite's BEGIN IMMEDIATE already
serialises writers) before summing, so two bookings of one association, even of two rooms
of a group, never both take the last hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

import sqlalchemy as sa

from pole import permissions
from pole.auth.models import User
from pole.bookings.models import Booking
from pole.bookings.services.checks import BookingRefused
from pole.core.locks import lock_row
from pole.core.refusals import Reason
from pole.db import db, is_postgresql
from pole.organisations.models import Organisation
from pole.quotas import rules
from pole.quotas.models import Quota, resource_group_member
from pole.resources.models import Resource
from pole.timeutil import to_local

Period = tuple[datetime, datetime]


def place_of(quota: Quota) -> str:
    """Where a quota counts, in words: 'dans les deux bureaux', 'dans « Hall d'accueil »'."""
    if quota.group is not None:
        return f"dans {quota.group.name}"
    return f"dans « {quota.resource.name} »"


def rule_of(quota: Quota, members: Iterable[int] = ()) -> rules.QuotaRule:
    """The arithmetic's view of a quota; `members` are its group's resources."""
    if quota.group_id is not None:
        resource_ids, target = frozenset(members), ("group", quota.group_id)
    else:
        resource_ids, target = frozenset({quota.resource_id}), ("resource", quota.resource_id)
    season = (quota.season_start, quota.season_end) if quota.period == "season" else None
    return rules.QuotaRule(
        id=quota.id,
        maximum=quota.maximum,
        unit=quota.unit,
        period=quota.period,
        resource_ids=resource_ids,
        target=target,
        place=place_of(quota),
        organisation_id=quota.organisation_id,
        organisation_kind=quota.organisation_kind,
        season=season,
    )


def rules_for(organisation: Organisation, resource_id: int) -> list[rules.QuotaRule]:
    """The quotas on this organisation's bookings of this resource (its own replace defaults).

    One query: each quota comes with its resource or group, and one row per group member.
    """
    groups = sa.select(resource_group_member.c.group_id).where(
        resource_group_member.c.resource_id == resource_id
    )
    member = resource_group_member.alias("member")
    rows = db.session.execute(
        db.select(Quota, member.c.resource_id)
        .outerjoin(member, member.c.group_id == Quota.group_id)
        .where(
            sa.or_(Quota.resource_id == resource_id, Quota.group_id.in_(groups)),
            sa.or_(
                Quota.organisation_id == organisation.id,
                Quota.organisation_kind == organisation.kind,
            ),
        )
        .options(sa.orm.joinedload(Quota.resource), sa.orm.joinedload(Quota.group))
        .order_by(Quota.id)
    ).all()
    members: dict[int, list[int]] = {}
    quotas: dict[int, Quota] = {}
    for quota, member_id in rows:
        quotas[quota.id] = quota
        members.setdefault(quota.id, []).append(member_id)
    found = [rule_of(q, members[q.id]) for q in quotas.values()]
    return rules.applicable(found, organisation.id, organisation.kind, resource_id)


def held_by(
    organisation_id: int,
    resource_ids: Iterable[int],
    start: datetime,
    end: datetime,
    exclude: Iterable[int] = (),
) -> list[rules.Held]:
    """The organisation's pending and confirmed bookings of these resources meeting [start, end)."""
    query = sa.select(Booking.start, Booking.end, Booking.resource_id, Booking.status).where(
        Booking.organisation_id == organisation_id,
        Booking.resource_id.in_(list(resource_ids)),
        Booking.status.in_(rules.COUNTED),
        Booking.start < end,
        Booking.end > start,
    )
    exclude = list(exclude)
    if exclude:
        query = query.where(Booking.id.not_in(exclude))
    return [rules.Held(*row) for row in db.session.execute(query)]


def quota_reasons(
    organisation: Organisation,
    resource: Resource,
    asked: Sequence[Period],
    now: datetime,
    exclude: Iterable[int] = (),
) -> list[list[Reason]]:
    """For each asked period, in order, the quotas it would exceed, in words (empty: fits)."""
    quota_rules = rules_for(organisation, resource.id)
    tz = resource.site.tz
    windows = [w for r in quota_rules for s, e in asked for w in rules.windows_of(r, s, e, tz)]
    if not windows:
        return [[] for _ in asked]
    resource_ids = set().union(*(r.resource_ids for r in quota_rules))
    held = held_by(
        organisation.id,
        resource_ids,
        min(w.start for w in windows),
        max(w.end for w in windows),
        exclude,
    )
    today = to_local(now, tz).date()
    return [
        [rules.excess_reason(x, organisation.name, today) for x in found]
        for found in rules.excesses(quota_rules, held, asked, tz)
    ]


def lock_organisation(organisation_id: int) -> Organisation:
    """Hold the organisation's row until commit: its quotas are summed under this lock.

    SQLite's BEGIN IMMEDIATE already serialises writers: the row loaded is enough there.
    """
    missing = BookingRefused([Reason("missing", "organisation", "Organisation inconnue.")])
    if not is_postgresql():
        organisation = db.session.get(Organisation, organisation_id)
        if organisation is None:
            raise missing
        return organisation
    return lock_row(Organisation, organisation_id, missing)


def may_override(user: User, note: str) -> bool:
    """The manager may book beyond a quota, saying why."""
    return permissions.is_manager(user) and bool(note.strip())


def enforce(
    organisation: Organisation,
    resource: Resource,
    asked: Sequence[Period],
    user: User,
    note: str,
    now: datetime,
    exclude: Iterable[int] = (),
) -> str:
    """Refuse what takes a quota over its limit, unless the manager gives a note.

    The caller holds the organisation's lock (lock_organisation). Returns the note to keep on
    the booking: the manager's, when it did go beyond a quota.
    """
    over = [
        r for found in quota_reasons(organisation, resource, asked, now, exclude) for r in found
    ]
    if not over:
        return ""
    if may_override(user, note):
        return note.strip()
    raise BookingRefused(over)


def standings(
    organisation: Organisation, resource: Resource, day: date, now: datetime
) -> list[str]:
    """Where the organisation stands, quota by quota, for the period of that day."""
    tz = resource.site.tz
    today = to_local(now, tz).date()
    lines = []
    for rule in rules_for(organisation, resource.id):
        window = rules.window_at(rule, day, tz)
        if window is None:
            continue
        used = rules.usage(
            rule, window, held_by(organisation.id, rule.resource_ids, window.start, window.end)
        )
        lines.append(rules.standing_text(rule, window, used, organisation.name, today))
    return lines
