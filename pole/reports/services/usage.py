"""The usage report of a period: per association and resource, the building's totals, the
rooms' occupancy and the permanence figures, loaded in a few queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction

import sqlalchemy as sa

from pole.bookings.models import Booking
from pole.db import db, utcnow
from pole.events.models import Event
from pole.organisations.models import Organisation
from pole.reports import rules
from pole.reports.models import ResourceValue
from pole.reports.services.permanences import PermanenceFigures, permanence_figures
from pole.resources.models import Resource, Site
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
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


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


def _booking_rows(resource_ids: list[int], lo: datetime, hi: datetime, only: set[int] | None):
    """Bookings that meet the period, with the time each cancelled one was cancelled."""
    cancelled_at = (
        sa.select(sa.func.max(Event.at))
        .where(Event.booking_id == Booking.id, Event.kind == "booking.cancelled")
        .correlate(Booking)
        .scalar_subquery()
    )
    query = sa.select(
        Booking.organisation_id,
        Booking.resource_id,
        Booking.start,
        Booking.end,
        Booking.status,
        Booking.quantity,
        sa.case((Booking.status == "cancelled", cancelled_at), else_=None),
    ).where(Booking.resource_id.in_(resource_ids), Booking.start < hi, Booking.end > lo)
    if only is not None:
        query = query.where(Booking.organisation_id.in_(only))
    return db.session.execute(query).all()


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

    figures: dict[tuple[int, int], Figures] = defaultdict(Figures)
    uses: dict[tuple[int, int], dict[tuple[date, int], int]] = defaultdict(lambda: defaultdict(int))
    booked_by_resource: dict[int, int] = defaultdict(int)
    room_uses: list = []
    for org_id, res_id, start, end, status, quantity, cancelled_at in _booking_rows(
        list(by_id), lo, hi, None
    ):
        f = figures[org_id, res_id]
        booked = rules.minutes_booked(status, start, end, lo, hi)
        f.minutes_booked += booked
        booked_by_resource[res_id] += booked
        if booked and by_id[res_id].is_room:
            room_uses.append((max(start, lo), min(end, hi), by_id[res_id].opening_hours))
        used = rules.minutes_used(status, start, end, lo, hi, now)
        f.minutes_used += used
        if used:
            stop = min(end, hi, now)
            for day, minutes in rules.daily_minutes(max(start, lo), stop, tz):
                uses[org_id, res_id][day, quantity] += minutes
        if not lo <= start < hi:
            continue  # counted in the period it began in
        if status in ("pending", "confirmed"):
            f.bookings += 1
        elif status == "cancelled":
            f.cancellations += 1
            f.late_cancellations += rules.is_late_cancellation(start, cancelled_at)
        elif status == "rejected":
            f.refused += 1
    for key, days in uses.items():
        figures[key].value_cents = rules.in_kind_value(days, rule_values.get(key[1], []))

    organisations = {
        o.id: o
        for o in db.session.scalars(
            sa.select(Organisation).where(Organisation.id.in_({k[0] for k in figures}))
        )
    }
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
        for org in db.session.scalars(
            sa.select(Organisation).where(Organisation.id.in_(organisation_ids))
        ):
            blocks.setdefault(org.id, AssociationBlock(org))
    occupancy = [
        Occupancy(
            r,
            booked_by_resource[r.id],
            rules.opening_minutes(r.opening_hours, period.first, period.last, tz),
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
            room_uses,
            [r.opening_hours for r in resources if r.is_room],
            period.first,
            period.last,
            tz,
        ),
        permanences=permanence_figures(site, period, lo, hi, organisation_ids),
        values=dict(values),
    )
