"""The report's figures, summed by the database, against a plain minute-by-minute count of
the same bookings: a varied year (clock-change weeks, nights across midnight, a price change,
half-day prices, equipment lent by the unit, every status, early and late cancellations)."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from pole.bookings.models import Booking
from pole.db import db, utcnow, write_transaction
from pole.events.models import Event
from pole.events.record import record
from pole.permanences import rules as permanence_rules
from pole.permanences.models import BlockedSlot, PermanenceCancellation
from pole.reports import rules
from pole.reports.models import ResourceValue
from pole.reports.services.usage import bounds, usage_report
from pole.resources.models import Closure, Resource
from pole.timeutil import NonexistentLocalTime, local_to_utc, to_local
from tests.factories import make_booking, make_organisation, make_permanence, make_resource

PARIS = ZoneInfo("Europe/Paris")
OFFICE_HOURS = {str(d): [[480, 720], [840, 1140]] for d in range(6)}  # Monday to Saturday
# (local start, hours): in the spring gap and the autumn's repeated hour, across midnight,
# partly outside opening hours, a quarter of an hour.
TEMPLATES = [(time(1, 30), 2), (time(10, 0), 2.5), (time(23, 0), 2), (time(14, 15), 0.75),
             (time(7, 0), 6), (time(18, 30), 1)]  # fmt: skip
STATUSES = ["confirmed", "confirmed", "confirmed", "pending", "cancelled", "rejected"]


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


@dataclass
class Year:
    year: int
    resources: list[Resource]
    now: datetime  # mid-June: the rest of the year is booked, not used


@pytest.fixture()
def varied_year(app) -> Year:
    year = to_local(utcnow(), PARIS).year - 1
    hall = make_resource(name="Hall", opening_hours=OFFICE_HOURS)
    night = make_resource(name="Salle de nuit")  # open day and night
    kitchen = make_resource(name="Cuisine", opening_hours=OFFICE_HOURS)
    chairs = make_resource(name="Chaises", kind="equipment", quantity=10)
    orgs = [make_organisation(short_name=f"A{i}") for i in range(3)]
    with write_transaction():
        for resource, valid_from, hour, half, day in [
            (hall, date(year, 1, 1), 2500, None, None),
            (hall, date(year, 7, 1), 3010, None, None),  # 30,10 €: cents × minutes / 60
            (kitchen, date(year, 2, 1), None, 6000, 10000),
            (kitchen, date(year, 9, 1), None, None, 9000),
            (chairs, date(year, 1, 1), 35, None, None),
        ]:
            db.session.add(
                ResourceValue(
                    resource_id=resource.id,
                    valid_from=valid_from,
                    per_hour_cents=hour,
                    per_half_day_cents=half,
                    per_day_cents=day,
                )
            )
    rng = random.Random(13)
    days = set()
    for middle in (_last_sunday(year, 3), _last_sunday(year, 10)):
        days |= {middle + timedelta(days=i) for i in range(-6, 4)}
    days |= {date(year, 1, 1), date(year, 6, 30), date(year, 6, 15), date(year, 12, 31)}
    days |= {date(year, 1, 1) + timedelta(days=rng.randrange(365)) for _ in range(25)}
    # Kept free for the two bookings added after.
    taken = {(night, date(year, 1, 1)), (hall, date(year, 6, 15))}
    for day in sorted(days):
        for resource in (hall, night, kitchen, chairs):
            if rng.random() < 0.3 or (resource, day) in taken:
                continue
            start_time, hours = rng.choice(TEMPLATES)
            try:
                start = local_to_utc(day, start_time, PARIS)
            except NonexistentLocalTime:
                start = local_to_utc(day, time(3, 0), PARIS)
            status = rng.choice(STATUSES)
            booking = make_booking(
                resource, rng.choice(orgs), start, hours, status=status,
                quantity=rng.randint(1, 4) if resource is chairs else 1,
            )  # fmt: skip
            if status == "cancelled":
                with write_transaction():
                    record(
                        "booking.cancelled",
                        actor=None,
                        now=start - timedelta(hours=rng.choice([1, 47, 48, 49, 200])),
                        booking=db.session.get(Booking, booking.id),
                    )
    # Across the year's first midnight, and over the moment the report is read.
    make_booking(night, orgs[0], local_to_utc(date(year - 1, 12, 31), time(22, 0), PARIS), 4)
    now = local_to_utc(date(year, 6, 15), time(12, 0), PARIS)
    make_booking(hall, orgs[1], now - timedelta(minutes=45), 2)
    return Year(year, [hall, night, kitchen, chairs], now)


def _day_price(value: rules.Value, minutes: int, units: int) -> int:
    """A day's use at a half-day or day price, in cents, written out from the rule's words."""
    if minutes <= 4 * 60:
        price = value.per_half_day if value.per_half_day is not None else value.per_day
    else:
        price = value.per_day if value.per_day is not None else 2 * value.per_half_day
    return price * units


def plain_count(resources: list[Resource], period: rules.Period, now: datetime) -> dict:
    """The figures counted minute by minute, with none of the report's code."""
    site = resources[0].site
    lo, hi = bounds(period, site)
    by_id = {r.id: r for r in resources}
    values = defaultdict(list)
    for v in db.session.scalars(db.select(ResourceValue).order_by(ResourceValue.valid_from)):
        values[v.resource_id].append(v.as_rule())
    figures = defaultdict(lambda: defaultdict(int))
    heat = defaultdict(int)
    used_days = defaultdict(lambda: defaultdict(int))
    for b in db.session.scalars(db.select(Booking)):
        key, room = (b.organisation_id, b.resource_id), by_id[b.resource_id]
        f = figures[key]
        if lo <= b.start < hi:
            f[b.status] += 1
            if b.status == "cancelled":
                at = db.session.scalar(
                    db.select(sa.func.max(Event.at)).where(
                        Event.booking_id == b.id, Event.kind == "booking.cancelled"
                    )
                )
                f["late"] += (b.start - at) < timedelta(hours=48)
        minute = b.start
        while minute < b.end:
            local = minute.astimezone(PARIS)
            if lo <= minute < hi and b.status in ("pending", "confirmed"):
                f["booked"] += 1
                hours = room.opening_hours.get(str(local.weekday()), [])
                wall = local.hour * 60 + local.minute
                if room.is_room and any(a <= wall < z for a, z in hours):
                    heat[local.weekday(), local.hour] += 1
            if lo <= minute < min(hi, now) and b.status == "confirmed":
                f["used"] += 1
                used_days[key][local.date(), b.quantity] += 1
            minute += timedelta(minutes=1)
    for key, days in used_days.items():
        sixtieths = 0
        for (day, units), minutes in days.items():
            in_force = [v for v in values[key[1]] if v.valid_from <= day]
            if not in_force:
                continue
            value = in_force[-1]
            if value.per_hour is not None:
                sixtieths += value.per_hour * minutes * units
            else:
                sixtieths += 60 * _day_price(value, minutes, units)
        figures[key]["value"] = (sixtieths + 30) // 60
    return {
        "lines": {
            key: (f["booked"], f["used"], f["pending"] + f["confirmed"], f["cancelled"],
                  f["late"], f["rejected"], f["value"])
            for key, f in figures.items() if any(f.values())
        },
        "heat": dict(heat),
    }  # fmt: skip


def periods(year: int) -> dict[str, rules.Period]:
    return {
        "year": rules.whole_year(year),
        "spring-change-week": rules.Period(
            _last_sunday(year, 3) - timedelta(days=3), _last_sunday(year, 3) + timedelta(days=1)
        ),
        "autumn-change-month": rules.month(year, 10),
        "price-change": rules.Period(date(year, 6, 14), date(year, 7, 2)),
        "first-week": rules.Period(date(year, 1, 1), date(year, 1, 7)),
    }


@pytest.mark.parametrize(
    "name", ["year", "spring-change-week", "autumn-change-month", "price-change", "first-week"]
)
@pytest.mark.parametrize("read_at", ["mid-june", "next-year"])
def test_the_database_sums_what_a_minute_by_minute_count_finds(varied_year, name, read_at):
    y = varied_year
    period = periods(y.year)[name]
    now = y.now if read_at == "mid-june" else datetime(y.year + 1, 3, 1, tzinfo=UTC)
    report = usage_report(y.resources[0].site, period, None, now)
    expected = plain_count(y.resources, period, now)
    lines = {
        (block.organisation.id, line.resource.id): (
            line.figures.minutes_booked, line.figures.minutes_used, line.figures.bookings,
            line.figures.cancellations, line.figures.late_cancellations, line.figures.refused,
            line.figures.value_cents,
        )
        for block in report.associations
        for line in block.lines
        if line.figures != type(line.figures)()
    }  # fmt: skip
    assert lines == expected["lines"]
    assert {k: c.booked for k, c in report.heat.items() if c.booked} == expected["heat"]
    booked_by_room = defaultdict(int)
    for (_org, res), figures in expected["lines"].items():
        booked_by_room[res] += figures[0]
    assert {o.resource.id: o.minutes_booked for o in report.occupancy} == {
        r.id: booked_by_room[r.id] for r in y.resources if r.is_room
    }
    # The data set is not empty where it is compared.
    assert sum(v[0] for v in lines.values()) > 0
    assert sum(v[-1] for v in lines.values()) > 0 or read_at == "mid-june"


def test_slots_offered_are_counted_as_laid_out_across_the_clock_changes(app):
    """Sunday nights 01:00–04:00 in 30-minute slots: the clock changes fall in them."""
    year = to_local(utcnow(), PARIS).year - 1
    start_of_year = local_to_utc(date(year, 1, 1), time(0, 0), PARIS)
    permanence = make_permanence(
        now=start_of_year, weekdays=frozenset({6}), start_time=time(1, 0),
        end_time=time(4, 0), first_day=date(year, 1, 1), until=date(year, 12, 31),
    )  # fmt: skip
    patterns = permanence.rule_patterns()
    every = permanence_rules.slots_between(patterns, date(year, 1, 1), date(year, 12, 31), PARIS)
    blocked = [every[3].start, next(s for s in every if s.day == _last_sunday(year, 10)).start]
    cancelled = every[40].day
    with write_transaction():
        db.session.add_all([BlockedSlot(permanence_id=permanence.id, start=s) for s in blocked])
        db.session.add(PermanenceCancellation(permanence_id=permanence.id, day=cancelled))
    for period in periods(year).values():
        offered = usage_report(permanence.resource.site, period).permanences.offered
        expected = permanence_rules.slots_between(
            patterns, period.first, period.last, PARIS, {cancelled}, set(blocked)
        )
        assert offered == len(expected), period
    spring, autumn = _last_sunday(year, 3), _last_sunday(year, 10)
    assert len(permanence_rules.day_slots(patterns[0], spring, PARIS)) == 4  # 02:00–03:00 skipped
    assert len(permanence_rules.day_slots(patterns[0], autumn, PARIS)) == 6


def test_closures_take_their_hours_out_of_the_opening_hours(app):
    """Occupancy and the heat map count as open only the hours no closure took, counted
    here minute by minute over March (the spring change) for two rooms."""
    year = to_local(utcnow(), PARIS).year - 1
    hall = make_resource(name="Hall", opening_hours=OFFICE_HOURS)
    night = make_resource(name="Salle de nuit", site=hall.site)  # open day and night
    spring = _last_sunday(year, 3)
    monday = spring - timedelta(days=6)
    closures = [  # the whole building one Monday; the hall that Monday again, overlapping
        (None, local_to_utc(monday, time(0, 0), PARIS), local_to_utc(monday, time(23, 0), PARIS)),
        (hall, local_to_utc(monday, time(10, 0), PARIS), local_to_utc(monday, time(16, 0), PARIS)),
        # the night room across the clock change, and the hall from before the month into it
        (night, local_to_utc(spring, time(1, 0), PARIS), local_to_utc(spring, time(4, 0), PARIS)),
        (hall, local_to_utc(date(year, 2, 27), time(9, 0), PARIS),
         local_to_utc(date(year, 3, 2), time(11, 30), PARIS)),
    ]  # fmt: skip
    with write_transaction():
        for room, start, end in closures:
            db.session.add(
                Closure(site_id=hall.site_id, resource_id=room and room.id, start=start, end=end,
                        reason="Fermé")
            )  # fmt: skip
    period = rules.month(year, 3)
    report = usage_report(hall.site, period)

    lo, hi = bounds(period, hall.site)
    heat, by_room = defaultdict(int), defaultdict(int)
    minute = lo
    while minute < hi:
        local = minute.astimezone(PARIS)
        wall = local.hour * 60 + local.minute
        for room in (hall, night):
            hours = room.opening_hours.get(str(local.weekday()), [])
            shut = any(s <= minute < e for r, s, e in closures if r is None or r.id == room.id)
            if any(a <= wall < z for a, z in hours) and not shut:
                heat[local.weekday(), local.hour] += 1
                by_room[room.id] += 1
        minute += timedelta(minutes=1)
    assert {o.resource.id: o.minutes_open for o in report.occupancy} == dict(by_room)
    assert {k: c.open for k, c in report.heat.items() if c.open} == dict(heat)
