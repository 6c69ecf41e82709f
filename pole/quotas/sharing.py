"""The Partage page: how the hours of each resource (and group) went to each organisation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from pole.bookings.models import Booking
from pole.db import db
from pole.events.models import Event
from pole.organisations.models import Organisation
from pole.quotas import rules
from pole.quotas.admin import all_groups, all_quotas, describe
from pole.quotas.models import Quota
from pole.resources.models import Resource, Site
from pole.timeutil import local_to_utc


@dataclass(frozen=True)
class ShareRow:
    organisation: Organisation
    share: rules.Share
    quotas: list[str]


@dataclass(frozen=True)
class ShareTable:
    """One resource or group over the period, an organisation a row."""

    name: str
    rows: list[ShareRow]


def _rows_of(
    organisations: list[Organisation],
    found: dict[int, rules.Share],
    quotas: list[Quota],
    covers,  # noqa: ANN001 (Quota -> bool)
) -> list[ShareRow]:
    rows = []
    for organisation in organisations:
        own = [
            q
            for q in quotas
            if covers(q)
            and (
                q.organisation_id == organisation.id
                or (q.organisation_id is None and q.organisation_kind == organisation.kind)
            )
        ]
        overridden = {q.period for q in own if q.organisation_id is not None}
        kept = [q for q in own if q.organisation_id is not None or q.period not in overridden]
        share = found.get(organisation.id, rules.Share())
        if share.booked or share.cancelled_late or kept:
            rows.append(ShareRow(organisation, share, [describe(q) for q in kept]))
    return rows


def _cancelled_at() -> sa.Subquery:
    """When each booking was (last) cancelled, from the record: a later edit moves its
    updated_at, not this. Bookings cancelled before the record existed fall back on it."""
    return (
        sa.select(Event.booking_id, sa.func.max(Event.at).label("at"))
        .where(Event.kind == "booking.cancelled", Event.booking_id.is_not(None))
        .group_by(Event.booking_id)
        .subquery()
    )


def sharing(site: Site, first_day: date, last_day: date, now: datetime) -> list[ShareTable]:
    """Per resource and per group, per organisation: booked, used, cancelled late, bookings."""
    tz = site.tz
    start = local_to_utc(first_day, time(0, 0), tz)
    end = local_to_utc(last_day + timedelta(days=1), time(0, 0), tz)
    resources = list(
        db.session.scalars(
            db.select(Resource)
            .where(Resource.site_id == site.id, Resource.is_active)
            .order_by(Resource.position, Resource.id)
        )
    )
    cancelled = _cancelled_at()
    found = db.session.execute(
        sa.select(
            Booking.resource_id,
            Booking.organisation_id,
            Booking.start,
            Booking.end,
            Booking.status,
            sa.func.coalesce(cancelled.c.at, Booking.updated_at),
        )
        .outerjoin(cancelled, cancelled.c.booking_id == Booking.id)
        .where(
            Booking.resource_id.in_([r.id for r in resources]),
            Booking.meeting(start, end),
        )
    ).all()
    organisations = sorted(
        db.session.scalars(
            db.select(Organisation).where(Organisation.kind.in_(("association", "partner")))
        ),
        key=lambda o: (o.kind != "association", o.sort_key),
    )
    quotas = all_quotas()

    def table(name: str, resource_ids: set[int], covers) -> ShareTable:  # noqa: ANN001
        past = [
            rules.PastBooking(o, s, e, st, at) for r, o, s, e, st, at in found if r in resource_ids
        ]
        shares = rules.shares(past, start, end, now)
        return ShareTable(name, _rows_of(organisations, shares, quotas, covers))

    tables = [table(r.name, {r.id}, lambda q, r=r: q.resource_id == r.id) for r in resources]
    tables += [
        table(f"Groupe : {g.name}", {m.id for m in g.members}, lambda q, g=g: q.group_id == g.id)
        for g in all_groups()
    ]
    return tables
