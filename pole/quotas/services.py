"""Quotas on bookings: load those that apply, count what is held, refuse or let the manager pass.

Enforcement runs inside the booking's write transaction, after the resource lock: when some
quota applies, it locks the organisation's row (PostgreSQL: SELECT ... FOR UPDATE; SQLite's
BEGIN IMMEDIATE already serialises writers) before summing, so two bookings of one
association, even of two rooms of a group, never both take the last hours.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import date, datetime

import sqlalchemy as sa

from pole import permissions
from pole.auth.models import User
from pole.bookings.models import LONGEST_OCCUPATION, Booking
from pole.bookings.services.checks import BookingRefused
from pole.core import stored_time
from pole.core.locks import lock_row
from pole.core.refusals import Reason
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


def _used(i: int, unit: str, with_exclude: bool) -> sa.ScalarSelect:
    """What the organisation holds of the i-th period asked, as `rules.usage` counts it: its
    pending and confirmed bookings of the quota's resources (`r<i>`), in whole minutes inside
    the period [`ws<i>`, `we<i>`) (instants in whole seconds, `s<i>` and `e<i>`: bookings are
    on the minute), or in bookings that start in it.

    The (organisation_id, start) index range is bounded on both sides: no booking lasts
    longer than LONGEST_OCCUPATION (`lo<i>` before the period), so none that starts earlier
    can reach the period.
    """
    start, end = sa.bindparam(f"ws{i}"), sa.bindparam(f"we{i}")
    if unit == "bookings":
        measure = sa.func.count()
        starting = (Booking.start >= start, Booking.start < end)
    else:
        seconds = {k: sa.bindparam(f"{k}{i}", type_=sa.BigInteger) for k in ("s", "e")}
        inside = stored_time.least(stored_time.epoch_seconds(Booking.end), seconds["e"])
        inside -= stored_time.greatest(stored_time.epoch_seconds(Booking.start), seconds["s"])
        measure = sa.func.coalesce(sa.func.sum(inside // 60), 0)
        starting = (Booking.start > sa.bindparam(f"lo{i}"), Booking.start < end)
    query = sa.select(sa.cast(measure, sa.BigInteger)).where(
        Booking.organisation_id == sa.bindparam("organisation_id"),
        Booking.resource_id.in_(sa.bindparam(f"r{i}", expanding=True)),
        Booking.status.in_(rules.COUNTED),
        *starting,
        Booking.end > start,
    )
    if with_exclude:
        query = query.where(Booking.id.not_in(sa.bindparam("exclude", expanding=True)))
    return query.scalar_subquery()


@functools.lru_cache(maxsize=64)
def _usages_statement(units: tuple[str, ...], with_exclude: bool) -> sa.Select:
    """`usages`' statement for periods of quotas in these units, built once per shape (a
    booking POST runs it under the write lock; building it costs more than running it)."""
    return sa.select(*(_used(i, unit, with_exclude) for i, unit in enumerate(units)))


def _seconds(instant: datetime) -> int:
    """An instant as whole seconds since 1970, as `stored_time.epoch_seconds` reads one."""
    return int(instant.timestamp() // 1)


def usages(
    organisation_id: int,
    needed: Sequence[tuple[rules.QuotaRule, rules.Window]],
    exclude: Iterable[int] = (),
) -> dict[rules.Key, int]:
    """What the organisation already holds in each of these periods of its quotas: one
    statement (a sum per period, on the booking table's index), however many bookings it
    holds there. Keyed as `rules.excesses_given` reads it."""
    if not needed:
        return {}
    exclude = list(exclude)
    params: dict[str, object] = {"organisation_id": organisation_id, "exclude": exclude}
    for i, (rule, window) in enumerate(needed):
        params |= {
            f"r{i}": sorted(rule.resource_ids),
            f"ws{i}": window.start,
            f"we{i}": window.end,
            f"lo{i}": window.start - LONGEST_OCCUPATION,
            f"s{i}": _seconds(window.start),
            f"e{i}": _seconds(window.end),
        }
    statement = _usages_statement(tuple(r.unit for r, _ in needed), bool(exclude))
    row = db.session.execute(statement, params).one()
    return {rules.key_of(r, w): int(used) for (r, w), used in zip(needed, row, strict=True)}


def quota_reasons(
    organisation: Organisation,
    resource: Resource,
    asked: Sequence[Period],
    now: datetime,
    exclude: Iterable[int] = (),
    *,
    for_writing: bool = False,
) -> list[list[Reason]]:
    """For each asked period, in order, the quotas it would exceed, in words (empty: fits).

    `for_writing`: the change will be written in this transaction, so the organisation's
    row is locked (lock_organisation) before what it holds is summed — only when some quota
    applies, so a building without quotas pays no lock.
    """
    quota_rules = rules_for(organisation, resource.id)
    tz = resource.site.tz
    needed = rules.windows_needed(quota_rules, asked, tz)
    if not needed:
        return [[] for _ in asked]
    if for_writing:
        lock_organisation(organisation.id)
    used = usages(organisation.id, needed, exclude)
    today = to_local(now, tz).date()
    return [
        [rules.excess_reason(x, organisation.name, today) for x in found]
        for found in rules.excesses_given(quota_rules, used, asked, tz)
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

    Call it in the change's write transaction, after the resource's lock: it locks the
    organisation's row before summing when some quota applies. Returns the note to keep on
    the booking: the manager's, when it did go beyond a quota.
    """
    found = quota_reasons(organisation, resource, asked, now, exclude, for_writing=True)
    over = [r for reasons in found for r in reasons]
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
    found = [(r, rules.window_at(r, day, tz)) for r in rules_for(organisation, resource.id)]
    found = [(r, w) for r, w in found if w is not None]
    used = usages(organisation.id, found)
    return [
        rules.standing_text(r, w, used[rules.key_of(r, w)], organisation.name, today)
        for r, w in found
    ]
