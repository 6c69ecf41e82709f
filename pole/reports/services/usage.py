"""The usage report of a period: per association and resource, the building's totals, the
rooms' occupancy and the permanence figures, loaded in a few queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction

import sqlalchemy as sa

from pole.db import db, utcnow
from pole.organisations.models import Organisation
from pole.reports import rules
from pole.reports.models import ResourceValue
from pole.reports.rules.days import irregular_days
from pole.reports.services.permanences import PermanenceFigures, permanence_figures
from pole.reports.services.sql import (
    DAILY,
    FIGURES,
    HEAT,
    HOURLY,
    Stretch,
    Sums,
    day_of,
    instant,
    seconds,
)
from pole.resources.models import Closure, Resource, Site
from pole.timeutil import local_day_bounds


@dataclass
class Figures:
    """What an association (or the building) did with a resource (or all) over the period."""

    minutes_booked: int = 0
    minutes_used: int = 0
    bookings: int = 0
    cancellations: int = 0
    late_cancellations: int = 0
    refused: int = 0
    value_cents: int = 0

    def add(self, other: Figures) -> None:
        self.minutes_booked += other.minutes_booked
        self.minutes_used += other.minutes_used
        self.bookings += other.bookings
        self.cancellations += other.cancellations
        self.late_cancellations += other.late_cancellations
        self.refused += other.refused
        self.value_cents += other.value_cents


@dataclass
class ResourceLine:
    resource: Resource
    figures: Figures = field(default_factory=Figures)


@dataclass
class AssociationBlock:
    """One organisation's lines, resource by resource, and its total."""

    organisation: Organisation
    lines: list[ResourceLine] = field(default_factory=list)
    total: Figures = field(default_factory=Figures)


@dataclass
class Occupancy:
    resource: Resource
    minutes_booked: int
    minutes_open: int

    @property
    def ratio(self) -> Fraction | None:
        return rules.occupancy(self.minutes_booked, self.minutes_open)


@dataclass
class Report:
    site: Site
    period: rules.Period
    now: datetime
    associations: list[AssociationBlock]  # the ones the reader may see
    building: list[ResourceLine]  # every organisation together, resource by resource
    building_total: Figures
    occupancy: list[Occupancy]
    heat: dict[tuple[int, int], rules.Cell]  # (weekday, hour): every room of the building
    permanences: PermanenceFigures
    values: dict[int, list[ResourceValue]]


def bounds(period: rules.Period, site: Site) -> tuple[datetime, datetime]:
    """The period as UTC instants: from its first local midnight to the one after its end."""
    return local_day_bounds(period.first, site.tz)[0], local_day_bounds(period.last, site.tz)[1]


def _stretches(
    values: dict[int, list[rules.Value]],
    lo: datetime,
    hi: datetime,
    tz,  # noqa: ANN001
) -> tuple[list[Stretch], dict[tuple[int, int], date]]:
    """Where each value of a resource valued by the hour applied within [lo, hi): the
    database sums minutes over each, and the first day of each tells its price."""
    found, first_days = [], {}
    for resource_id, rows in values.items():
        for value, following in zip(rows, [*rows[1:], None], strict=False):
            start = max(lo, local_day_bounds(value.valid_from, tz)[0])
            stop = hi
            if following is not None:
                stop = min(hi, local_day_bounds(following.valid_from, tz)[0])
            if start < stop:
                index = len(found)
                found.append(Stretch(resource_id, index, seconds(start), seconds(stop)))
                first_days[resource_id, index] = value.valid_from
    return found, first_days


def usage_report(
    site: Site,
    period: rules.Period,
    organisation_ids: set[int] | None = None,
    now: datetime | None = None,
) -> Report:
    """The figures of a period; `organisation_ids` limits the associations shown (a
    coordinator's own), the building's totals always count everyone."""
    now = now or utcnow()
    lo, hi = bounds(period, site)
    tz = site.tz
    resources = db.session.scalars(
        sa.select(Resource)
        .where(Resource.site_id == site.id)
        .order_by(Resource.position, Resource.id)
    ).all()
    by_id = {r.id: r for r in resources}
    values_rows = db.session.scalars(
        sa.select(ResourceValue)
        .where(ResourceValue.resource_id.in_(by_id))
        .order_by(ResourceValue.resource_id, ResourceValue.valid_from)
    ).all()
    values: dict[int, list[ResourceValue]] = defaultdict(list)
    for row in values_rows:
        values[row.resource_id].append(row)
    rule_values = {rid: [v.as_rule() for v in rows] for rid, rows in values.items()}

    rooms = {r.id: r.opening_hours for r in resources if r.is_room}
    hourly = {rid: v for rid, v in rule_values.items() if all(x.by_the_hour for x in v)}
    daily = [rid for rid in rule_values if rid not in hourly]
    used_until = min(hi, now)
    stretches, first_days = _stretches(hourly, lo, hi, tz)  # the text is the period's
    irregular = irregular_days(
        period.first - timedelta(days=1), period.last + timedelta(days=1), tz
    )
    figures: dict[tuple[int, int], Figures] = {}
    booked_by_resource: dict[int, int] = defaultdict(int)
    uses: dict[tuple[int, int], dict[tuple[date, int], int]] = defaultdict(lambda: defaultdict(int))
    runs = []  # HEAT rows: bookings within a day, by room, weekday, first and last hour
    across = []
    statement = Sums(db.session.get_bind().dialect.name, tz, lo, hi).statement(
        list(by_id), rooms, stretches, daily, sorted(irregular), now
    )
    for kind, *row in db.session.execute(statement).all() if by_id else []:
        if kind == FIGURES:
            org_id, res_id, booked, used, active, cancellations, refused, late = (
                int(x) for x in row
            )
            figures[org_id, res_id] = Figures(booked, used, active, cancellations, late, refused)
            booked_by_resource[res_id] += booked
        elif kind == HOURLY:
            org_id, res_id, index, units, minutes = (int(x) for x in row[:5])
            uses[org_id, res_id][first_days[res_id, index], units] += minutes
        elif kind == HEAT:
            runs.append(row[:4])  # integers on both databases
        elif kind == DAILY:
            org_id, res_id, day, units, minutes = (int(x) for x in row[:5])
            uses[org_id, res_id][day_of(day), units] += minutes
        else:
            org_id, res_id, s, e, units, for_heat, for_value = (int(x) for x in row[:7])
            start, end = instant(s), instant(e)
            if for_heat:
                across.append((max(start, lo), min(end, hi), rooms[res_id]))
            if for_value:
                for day, minutes in rules.daily_minutes(max(start, lo), min(end, used_until), tz):
                    uses[org_id, res_id][day, units] += minutes
    for key, days in uses.items():
        if key in figures:
            figures[key].value_cents = rules.in_kind_value(days, rule_values[key[1]])

    wanted = {k[0] for k in figures} | set(organisation_ids or ())
    organisations = {
        o.id: o
        for o in db.session.scalars(sa.select(Organisation).where(Organisation.id.in_(wanted)))
    }  # those with figures and the reader's own, in one read
    blocks: dict[int, AssociationBlock] = {}
    building = {r.id: ResourceLine(r) for r in resources}
    building_total = Figures()
    for (org_id, res_id), f in sorted(figures.items(), key=lambda kv: by_id[kv[0][1]].position):
        building[res_id].figures.add(f)
        building_total.add(f)
        if organisation_ids is not None and org_id not in organisation_ids:
            continue
        block = blocks.setdefault(org_id, AssociationBlock(organisations[org_id]))
        block.lines.append(ResourceLine(by_id[res_id], f))
        block.total.add(f)
    if organisation_ids is not None:  # a coordinator sees her association even with no figure
        for org_id in organisation_ids:
            if org_id in organisations:
                blocks.setdefault(org_id, AssociationBlock(organisations[org_id]))
    closures = defaultdict(list)  # room (None: the whole building): its closures, cut
    for resource_id, start, end in db.session.execute(
        sa.select(Closure.resource_id, Closure.start, Closure.end).where(
            Closure.site_id == site.id, Closure.start < hi, Closure.end > lo
        )
    ):
        closures[resource_id].append((max(start, lo), min(end, hi)))
    closed = {
        r.id: rules.closed_hours(r.opening_hours, closures[None] + closures[r.id], tz)
        for r in resources
        if r.is_room
    }
    occupancy = [
        Occupancy(
            r,
            booked_by_resource[r.id],
            rules.opening_minutes(r.opening_hours, period.first, period.last, tz)
            - rules.closed_minutes(closed[r.id]),
        )
        for r in resources
        if r.is_room
    ]
    return Report(
        site=site,
        period=period,
        now=now,
        associations=sorted(blocks.values(), key=lambda b: b.organisation.sort_key),
        building=[line for line in building.values() if line.figures != Figures()],
        building_total=building_total,
        occupancy=occupancy,
        heat=rules.weekly_heat(
            across,
            list(rooms.values()),
            period.first,
            period.last,
            tz,
            rules.hour_grid_from_keys(runs, rooms),
            [piece for pieces in closed.values() for piece in pieces],
        ),
        permanences=permanence_figures(site, period, lo, hi, organisation_ids, organisations),
        values=dict(values),
    )
