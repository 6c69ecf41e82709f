"""Permanence figures of a period: slots offered, booked, seen and missed, by purpose and
association; live appointments and the anonymous counts kept of purged ones add up."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from pole.db import UTCDateTime, db
from pole.organisations.models import Organisation
from pole.permanences import rules as permanence_rules
from pole.permanences.models import Appointment, BlockedSlot, Permanence, PermanenceCancellation
from pole.reports import rules
from pole.reports.models import AppointmentCount
from pole.reports.rules.days import irregular_days
from pole.resources.models import Resource, Site
from pole.timeutil import to_local

OUTCOMES = ("booked", "seen", "no_show", "cancelled")


@dataclass
class Outcomes:
    """Appointments by outcome: still to come (booked), seen, missed (no_show), cancelled."""

    booked: int = 0
    seen: int = 0
    no_show: int = 0
    cancelled: int = 0

    @property
    def taken(self) -> int:
        """Slots that were booked, whatever came of them (a cancelled one was given back)."""
        return self.booked + self.seen + self.no_show

    def add(self, status: str, count: int) -> None:
        setattr(self, status, getattr(self, status) + count)


@dataclass
class PurposeLine:
    organisation: Organisation | None
    purpose: str
    outcomes: Outcomes

    @property
    def purpose_label(self) -> str:
        return permanence_rules.PURPOSES.get(self.purpose, self.purpose)


@dataclass
class PermanenceLine:
    permanence: Permanence
    offered: int
    outcomes: Outcomes = field(default_factory=Outcomes)


@dataclass
class PermanenceFigures:
    permanences: list[PermanenceLine]
    lines: list[PurposeLine]  # the associations the reader may see
    total: Outcomes

    @property
    def offered(self) -> int:
        return sum(p.offered for p in self.permanences)


def _site_permanences() -> sa.Select:
    return (
        sa.select(Permanence.id)
        .join(Resource, Resource.id == Permanence.resource_id)
        .where(Resource.site_id == sa.bindparam("site_id"))
    )


@cache
def _counts_statement() -> sa.CompoundSelect:
    """(permanence, organisation, purpose, status, count) of the site's permanences: live rows
    and purged counts, in one read; built once (bound: the site, the period)."""
    site_permanences = _site_permanences()
    live = (
        sa.select(
            Appointment.permanence_id,
            Appointment.organisation_id,
            Appointment.purpose,
            Appointment.status,
            sa.cast(sa.func.count(), sa.BigInteger),
        )
        .where(
            Appointment.permanence_id.in_(site_permanences),
            Appointment.start >= sa.bindparam("lo", type_=UTCDateTime()),
            Appointment.start < sa.bindparam("hi", type_=UTCDateTime()),
        )
        .group_by(
            Appointment.permanence_id,
            Appointment.organisation_id,
            Appointment.purpose,
            Appointment.status,
        )
    )
    kept = (
        sa.select(
            AppointmentCount.permanence_id,
            AppointmentCount.organisation_id,
            AppointmentCount.purpose,
            AppointmentCount.status,
            sa.cast(sa.func.sum(AppointmentCount.count), sa.BigInteger),  # not numeric
        )
        .where(
            AppointmentCount.permanence_id.in_(site_permanences),
            AppointmentCount.month >= sa.bindparam("first", type_=sa.Date()),
            AppointmentCount.month <= sa.bindparam("last", type_=sa.Date()),
        )
        .group_by(
            AppointmentCount.permanence_id,
            AppointmentCount.organisation_id,
            AppointmentCount.purpose,
            AppointmentCount.status,
        )
    )
    return sa.union_all(live, kept)


@cache
def _days_off_statement() -> sa.CompoundSelect:
    """(permanence, cancelled day, blocked slot's start) of the site's permanences over the
    period, in one read; built once (bound: the site, the period)."""
    site_permanences = _site_permanences()
    return sa.union_all(
        sa.select(
            PermanenceCancellation.permanence_id,
            PermanenceCancellation.day,
            sa.type_coerce(sa.null(), UTCDateTime()),  # the first select types the columns
        ).where(
            PermanenceCancellation.permanence_id.in_(site_permanences),
            PermanenceCancellation.day >= sa.bindparam("first", type_=sa.Date()),
            PermanenceCancellation.day <= sa.bindparam("last", type_=sa.Date()),
        ),
        sa.select(BlockedSlot.permanence_id, sa.null(), BlockedSlot.start).where(
            BlockedSlot.permanence_id.in_(site_permanences),
            BlockedSlot.start >= sa.bindparam("lo", type_=UTCDateTime()),
            BlockedSlot.start < sa.bindparam("hi", type_=UTCDateTime()),
        ),
    )


def _offered(
    patterns: list,
    period: rules.Period,
    tz: ZoneInfo,
    cancelled: set[date],
    blocked: set[datetime],
    irregular: frozenset[date],
) -> int:
    """How many slots the permanence offered (`slots_between`, counted): on an ordinary
    24-hour day a pattern lays out the same slots, so each pattern's are counted once; a
    clock-change day, or one with a blocked slot, is laid out on its own."""
    blocked_days = {to_local(start, tz).date() for start in blocked}
    per_pattern: dict[int, int] = {}
    total = 0
    for day, pattern in permanence_rules.session_days(
        patterns, period.first, period.last, cancelled
    ):
        if day in irregular or day in blocked_days:
            slots = permanence_rules.day_slots(pattern, day, tz)
            total += sum(1 for slot in slots if slot.start not in blocked)
            continue
        if id(pattern) not in per_pattern:
            per_pattern[id(pattern)] = len(permanence_rules.day_slots(pattern, day, tz))
        total += per_pattern[id(pattern)]
    return total


def permanence_figures(
    site: Site,
    period: rules.Period,
    lo: datetime,
    hi: datetime,
    organisation_ids: set[int] | None,
    known: Mapping[int, Organisation] | None = None,
) -> PermanenceFigures:
    """The figures of every permanence held on the site during the period; `known` holds
    organisations already read (only the others are)."""
    permanences = db.session.scalars(
        sa.select(Permanence)
        .join(Resource, Resource.id == Permanence.resource_id)
        .where(Resource.site_id == site.id)
        .options(so.selectinload(Permanence.patterns))
        .order_by(Permanence.id)
    ).all()
    ids = [p.id for p in permanences]
    cancelled: dict[int, set[date]] = defaultdict(set)
    blocked: dict[int, set[datetime]] = defaultdict(set)
    bounds = {"site_id": site.id, "first": period.first, "last": period.last, "lo": lo, "hi": hi}
    for pid, day, start in db.session.execute(_days_off_statement(), bounds) if ids else ():
        if start is None:
            cancelled[pid].add(day)
        else:
            blocked[pid].add(start)
    irregular = irregular_days(period.first, period.last, site.tz)
    lines = {
        p.id: PermanenceLine(
            p,
            _offered(p.rule_patterns(), period, site.tz, cancelled[p.id], blocked[p.id], irregular),
        )
        for p in permanences
    }
    by_purpose: dict[tuple[int | None, str], Outcomes] = defaultdict(Outcomes)
    total = Outcomes()
    counts = db.session.execute(_counts_statement(), bounds) if ids else ()
    for pid, org_id, purpose, status, count in counts:
        lines[pid].outcomes.add(status, count)
        total.add(status, count)
        if organisation_ids is None or org_id in organisation_ids:
            by_purpose[org_id, purpose].add(status, count)
    known = known or {}
    organisations = {k[0]: known[k[0]] for k in by_purpose if k[0] in known}
    missing = {k[0] for k in by_purpose} - set(organisations)
    if missing:
        organisations.update(
            (o.id, o)
            for o in db.session.scalars(sa.select(Organisation).where(Organisation.id.in_(missing)))
        )
    purpose_order = list(permanence_rules.PURPOSES)
    purpose_lines = sorted(
        (
            PurposeLine(organisations.get(org_id), purpose, o)
            for (org_id, purpose), o in by_purpose.items()
        ),
        key=lambda line: (
            line.organisation.sort_key if line.organisation else "~",
            purpose_order.index(line.purpose) if line.purpose in purpose_order else 99,
        ),
    )
    return PermanenceFigures(
        permanences=[line for line in lines.values() if line.offered or line.outcomes.taken],
        lines=purpose_lines,
        total=total,
    )
