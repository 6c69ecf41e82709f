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
from pole.bookings.models import LONGEST_OCCUPATION, Booking
from pole.bookings.services.checks import BookingRefused
from pole.core.locks import lock_row
from pole.core.refusals import Reason
from pole.core.stored_time import as_utc, stored_utc
from pole.db import db, is_postgresql
from pole.organisations.models import Organisation
from pole.quotas import rules
from pole.quotas.models import Quota, ResourceGroup, resource_group_member
from pole.resources.models import Resource
from pole.timeutil import to_local

Period = tuple[datetime, datetime]


def _place(group_name: str | None, resource_name: str | None) -> str:
    """Where a quota counts, in words: 'dans les deux bureaux', 'dans « Hall d'accueil »'."""
    if group_name is not None:
        return f"dans {group_name}"
    return f"dans « {resource_name} »"


def _rules_statement() -> sa.Select:
    """rules_for's query, built once: each booking POST runs it under the write lock."""
    groups = sa.select(resource_group_member.c.group_id).where(
        resource_group_member.c.resource_id == sa.bindparam("resource_id")
    )
    member = resource_group_member.alias("member")
    return (
        sa.select(
            Quota.id,
            Quota.maximum,
            Quota.unit,
            Quota.period,
            Quota.resource_id,
            Quota.group_id,
            Quota.organisation_id,
            Quota.organisation_kind,
            Quota.season_start,
            Quota.season_end,
            Resource.name,
            ResourceGroup.name,
            member.c.resource_id,
        )
        .outerjoin(Resource, Resource.id == Quota.resource_id)
        .outerjoin(ResourceGroup, ResourceGroup.id == Quota.group_id)
        .outerjoin(member, member.c.group_id == Quota.group_id)
        .where(
            sa.or_(Quota.resource_id == sa.bindparam("resource_id"), Quota.group_id.in_(groups)),
            sa.or_(
                Quota.organisation_id == sa.bindparam("organisation_id"),
                Quota.organisation_kind == sa.bindparam("organisation_kind"),
            ),
        )
        .order_by(Quota.id)
    )


_RULES = _rules_statement()


def rules_for(organisation: Organisation, resource_id: int) -> list[rules.QuotaRule]:
    """The quotas on this organisation's bookings of this resource (its own replace defaults).

    One query of plain columns (each booking POST runs it): each quota with the name of its
    resource or group, and one row per group member.
    """
    params = {
        "resource_id": resource_id,
        "organisation_id": organisation.id,
        "organisation_kind": organisation.kind,
    }
    rows = db.session.execute(_RULES, params).all()
    members: dict[int, set[int]] = {}
    first: dict[int, sa.Row] = {}
    for row in rows:
        first.setdefault(row[0], row)
        members.setdefault(row[0], set()).add(row[12])
    found = [_rule(row, members[quota_id]) for quota_id, row in first.items()]
    return rules.applicable(found, organisation.id, organisation.kind, resource_id)


def _rule(row: sa.Row, members: set[int]) -> rules.QuotaRule:
    """The arithmetic's view of a quota row of rules_for; `members` are its group's resources."""
    (quota_id, maximum, unit, period, resource_id, group_id, organisation_id, kind) = row[:8]
    season_start, season_end, resource_name, group_name = row[8:12]
    if group_id is not None:
        resource_ids, target = frozenset(members), ("group", group_id)
    else:
        resource_ids, target = frozenset({resource_id}), ("resource", resource_id)
    return rules.QuotaRule(
        id=quota_id,
        maximum=maximum,
        unit=unit,
        period=period,
        resource_ids=resource_ids,
        target=target,
        place=_place(group_name, resource_name),
        organisation_id=organisation_id,
        organisation_kind=kind,
        season=(season_start, season_end) if period == "season" else None,
    )


def held_by(
    organisation_id: int,
    resource_ids: Iterable[int],
    start: datetime,
    end: datetime,
    exclude: Iterable[int] = (),
) -> list[rules.Held]:
    """The organisation's pending and confirmed bookings of these resources meeting [start, end).

    The (organisation_id, start) index range is bounded on both sides: no booking lasts
    longer than LONGEST_OCCUPATION, so none that starts earlier can reach the window.
    """
    columns = (stored_utc(Booking.start), stored_utc(Booking.end), Booking.resource_id)
    query = sa.select(*columns, Booking.status).where(
        Booking.organisation_id == organisation_id,
        Booking.resource_id.in_(list(resource_ids)),
        Booking.status.in_(rules.COUNTED),
        Booking.start > start - LONGEST_OCCUPATION,
        Booking.start < end,
        Booking.end > start,
    )
    exclude = list(exclude)
    if exclude:
        query = query.where(Booking.id.not_in(exclude))
    # A month's quota of a busy association reads hundreds of rows: their instants are read
    # as the driver gives them (pole.core.stored_time), not through UTCDateTime.
    rows = db.session.execute(query)
    return [rules.Held(as_utc(start), as_utc(end), *rest) for start, end, *rest in rows]


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
