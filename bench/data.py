"""A year of the 4 Épis building: demo organisations, weekly series, 2,000 one-off bookings.

Everything goes through the real schema (migrations) and the real booking rules: the series
through services.create_series, the one-off bookings checked one by one with
rules.check_booking against everything already booked, then inserted in bulk.
"""

from __future__ import annotations

import random
import sys
from bisect import bisect_left, insort
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from dateutil.easter import easter
from flask import Flask

from pole import demo
from pole.auth.models import User
from pole.auth.passwords import hash_password
from pole.bookings import rules, services
from pole.bookings.models import ACTIVE_STATUSES, Booking
from pole.bookings.recurrence import Recurrence
from pole.db import db
from pole.organisations.models import Membership, Organisation
from pole.quotas.models import Quota
from pole.resources.models import Closure, Resource, Site
from pole.timeutil import local_day_bounds, local_to_utc, to_local

PASSWORD = "bench-mot-de-passe"  # noqa: S105 (scratch databases only)
COORDINATOR = f"coordination.restos@{demo.DOMAIN}"  # reads the Restos' report
VOLUNTEER = f"benevole@{demo.DOMAIN}"  # Restos and Épicerie: the person who books in the bench
ONE_OFF_BOOKINGS = 2000
SEED = 4  # the 4 Épis

# resource name, organisation key, weekdays, start, end, title, public, quantity
SERIES = [
    ("Hall d'accueil", "restos", {1, 3}, "08:30", "12:00", "Distribution alimentaire", True, 1),
    ("Hall d'accueil", "epicerie", {2, 4}, "14:00", "18:00", "Épicerie : ouverture", True, 1),
    ("Bureau partagé 1", "populaire", {0}, "09:00", "12:00", "Permanence accueil", False, 1),
    ("Bureau partagé 2", "catholique", {2}, "09:00", "12:00", "Permanence écoute", False, 1),
    ("Bureau partagé 1", "ccas", {3}, "13:30", "17:00", "Permanence assistante sociale", True, 1),
    ("Bureau partagé 2", "caf", {1}, "14:00", "17:00", "Permanence CAF", True, 1),
    ("Bureau partagé 1", "mission", {4}, "09:00", "12:00", "Mission locale : accueil", True, 1),
    ("Cuisine équipée", "epicerie", {3}, "14:00", "16:30", "Atelier cuisine", True, 1),
    ("Bureau partagé 2", "catholique", {0}, "14:00", "16:00", "Atelier estime de soi", False, 1),
    ("Tables pliantes", "populaire", {5}, "09:00", "13:00", "Braderie solidaire", True, 4),
]

TITLES = [
    "Réunion d'équipe",
    "Entretien individuel",
    "Atelier CV",
    "Formation des bénévoles",
    "Collecte",
    "Goûter",
    "Atelier couture",
    "Assemblée générale",
    "Tri des dons",
    "Rendez-vous famille",
    "Atelier numérique",
    "Point mensuel",
]
FIRST_NAMES = ["Aline", "Bruno", "Chantal", "Driss", "Élise", "Fatou", "Gérard", "Hélène"]


@dataclass
class Facts:
    """What the load client needs to know about the data it runs against."""

    first_day: date
    last_day: date
    bookings: int
    series: int
    closures: int
    resources: dict[str, int]
    organisations: dict[str, int]
    busy_days: list[date] = field(default_factory=list)
    free_slots: list[tuple[int, date, str, str]] = field(default_factory=list)
    taken_slot: tuple[int, date, str, str] | None = None


def _hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def public_holidays(first: date, last: date) -> list[tuple[date, str]]:
    """French public holidays between two dates (the building closes)."""
    days = []
    for year in range(first.year, last.year + 1):
        easter_sunday = easter(year)
        fixed = [
            (date(year, 1, 1), "Jour de l'an"),
            (easter_sunday + timedelta(days=1), "Lundi de Pâques"),
            (date(year, 5, 1), "Fête du travail"),
            (date(year, 5, 8), "Victoire 1945"),
            (easter_sunday + timedelta(days=39), "Ascension"),
            (easter_sunday + timedelta(days=50), "Lundi de Pentecôte"),
            (date(year, 7, 14), "Fête nationale"),
            (date(year, 8, 15), "Assomption"),
            (date(year, 11, 1), "Toussaint"),
            (date(year, 11, 11), "Armistice"),
            (date(year, 12, 25), "Noël"),
        ]
        days += [(d, f"Jour férié : {name}") for d, name in fixed if first <= d <= last]
    return sorted(days)


class Calendar:
    """Everything booked so far, per resource, to check new bookings against in memory."""

    def __init__(self) -> None:
        self.by_resource: dict[int, list[tuple[datetime, datetime, int]]] = {}

    def add(self, resource_id: int, start: datetime, end: datetime, quantity: int) -> None:
        insort(self.by_resource.setdefault(resource_id, []), (start, end, quantity))

    def around(self, resource_id: int, start: datetime, end: datetime) -> list[rules.Occupation]:
        # Loans last at most a week and buffers an hour: look that far back.
        items = self.by_resource.get(resource_id, [])
        low = bisect_left(items, (start - timedelta(days=8),))
        found = []
        for b_start, b_end, quantity in items[low:]:
            if b_start >= end + timedelta(hours=2):
                break
            found.append(rules.Occupation(b_start, b_end, quantity, "existant"))
        return found


def _checkpoint() -> None:
    """Write the bulk load's pages out now (PostgreSQL), not during the measured rows: the
    checkpoint that follows a year's INSERT otherwise flushes them, and syncs, while the
    first rows are timed. Skipped for a role that may not (CHECKPOINT needs a superuser or
    pg_checkpoint)."""
    try:
        with db.engine.connect() as conn:
            conn.execute(sa.text("CHECKPOINT"))
            conn.commit()
    except sa.exc.DBAPIError as error:
        print(f"no CHECKPOINT after the build: {error.orig}", file=sys.stderr)


def build(app: Flask, one_offs: int = ONE_OFF_BOOKINGS, today: date | None = None) -> Facts:
    """Fill the migrated, empty database of `app` with a year around today."""
    rng = random.Random(SEED)
    with app.app_context():
        demo.load(PASSWORD, past=False)  # the bench lays out its own year
        # Quotas are measured on their own (run.py's "post_quota"): the rest runs without.
        db.session.execute(sa.delete(Quota))
        db.session.commit()
        site = db.session.scalar(db.select(Site))
        tz = site.tz
        today = today or datetime.now(UTC).astimezone(tz).date()
        first_day, last_day = today - timedelta(days=182), today + timedelta(days=182)
        # The year is laid out as seen from its first day, so its past half obeys the rules too.
        then = local_to_utc(first_day, time(0, 0), tz)
        orgs = {o.short_name: o for o in db.session.scalars(db.select(Organisation))}
        org_by_key = {key: orgs[short] for key, _kind, _name, short, _colour in demo.ORGANISATIONS}
        resources = {r.name: r for r in db.session.scalars(db.select(Resource))}
        manager = db.session.scalar(db.select(User).where(User.is_manager))
        members = _add_volunteers(rng, org_by_key)

        closures = _add_closures(site, resources, first_day, last_day)
        closed = {to_local(c.start, tz).date() for c in closures if c.resource_id is None}
        series = 0
        for name, key, weekdays, start, end, title, public, quantity in SERIES:
            _add_series(
                manager,
                resources[name],
                org_by_key[key],
                weekdays,
                start,
                end,
                title,
                public,
                quantity,
                first_day,
                last_day,
                then,
            )
            series += 1

        calendar = Calendar()
        for b in db.session.scalars(db.select(Booking).where(Booking.status.in_(ACTIVE_STATUSES))):
            calendar.add(b.resource_id, b.start, b.end, b.quantity)
        rows = _one_offs(
            rng,
            one_offs,
            resources,
            org_by_key,
            members,
            manager,
            calendar,
            closures,
            first_day,
            last_day,
            then,
            today,
        )
        db.session.execute(sa.insert(Booking), rows)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # A building's PostgreSQL has its tables' statistics (autovacuum gathers them a
            # minute after a bulk change): without them, the first minutes of a run were
            # planned for empty tables (a join of every booking to come before its LIMIT),
            # and the plans changed in mid-run when autovacuum got to the tables. SQLite
            # gathers none by itself, so it is left without, as it runs.
            with db.engine.connect() as conn:
                conn.execute(sa.text("ANALYZE"))
                conn.commit()
            _checkpoint()

        offices = [resources["Bureau partagé 2"], resources["Bureau partagé 1"]]
        free = _free_slots(offices, calendar, closed, today + timedelta(days=1), last_day)
        distribution = next(
            d
            for d in (today + timedelta(days=i) for i in range(1, 30))
            if d.weekday() == 1 and d not in closed
        )
        count = db.session.scalar(db.select(sa.func.count(Booking.id)))
        return Facts(
            first_day=first_day,
            last_day=last_day,
            bookings=count,
            series=series,
            closures=len(closures),
            resources={name: r.id for name, r in resources.items()},
            organisations={key: o.id for key, o in org_by_key.items()},
            busy_days=[
                d
                for d in (today + timedelta(days=i) for i in range(1, 60))
                if d.weekday() < 6 and d not in closed
            ][:20],
            free_slots=free,
            # The Restos' own Tuesday distribution: always taken, so always refused.
            taken_slot=(resources["Hall d'accueil"].id, distribution, "09:00", "11:00"),
        )


def _add_volunteers(
    rng: random.Random, org_by_key: dict[str, Organisation]
) -> dict[int, list[int]]:
    """Thirty more volunteers spread over the associations; returns members per organisation."""
    password_hash = hash_password(PASSWORD)
    associations = [o for o in org_by_key.values() if o.kind == "association"]
    for n in range(30):
        org = associations[n % len(associations)]
        user = User(
            email=f"benevole{n}@{demo.DOMAIN}",
            name=f"{rng.choice(FIRST_NAMES)} {chr(65 + n % 26)}.",
            password_hash=password_hash,
        )
        db.session.add(user)
        db.session.add(Membership(user=user, organisation=org, role="volunteer"))
    db.session.commit()
    members: dict[int, list[int]] = {}
    for membership in db.session.scalars(db.select(Membership)):
        members.setdefault(membership.organisation_id, []).append(membership.user_id)
    return members


def _add_closures(
    site: Site, resources: dict[str, Resource], first: date, last: date
) -> list[Closure]:
    closures = []
    for day, reason in public_holidays(first, last):
        start, end = local_day_bounds(day, site.tz)
        closures.append(Closure(site_id=site.id, start=start, end=end, reason=reason))
    # A week of works in the kitchen, and the hall lent as a polling station.
    works = first + timedelta(days=100)
    closures.append(
        Closure(
            site_id=site.id,
            resource_id=resources["Cuisine équipée"].id,
            start=local_day_bounds(works, site.tz)[0],
            end=local_day_bounds(works + timedelta(days=6), site.tz)[1],
            reason="Travaux",
        )
    )
    polling = last - timedelta(days=60)
    polling -= timedelta(days=(polling.weekday() - 5) % 7)  # the Saturday before
    closures.append(
        Closure(
            site_id=site.id,
            resource_id=resources["Hall d'accueil"].id,
            start=local_to_utc(polling, time(14, 0), site.tz),
            end=local_day_bounds(polling + timedelta(days=1), site.tz)[1],
            reason="Élections",
        )
    )
    db.session.add_all(closures)
    db.session.commit()
    return closures


def _add_series(
    manager,
    resource,
    organisation,
    weekdays,
    start,
    end,
    title,
    public,
    quantity,  # noqa: ANN001
    first_day: date,
    last_day: date,
    then: datetime,
) -> None:
    """Create one weekly series through the services, skipping the dates that are closed."""
    data = services.SeriesData(
        resource_id=resource.id,
        organisation_id=organisation.id,
        title=title,
        is_public=public,
        quantity=quantity,
        recurrence=Recurrence(
            first_day=first_day + timedelta(days=1),
            start_time=_hhmm(start),
            end_time=_hhmm(end),
            freq="weekly",
            weekdays=frozenset(weekdays),
            until=last_day,
        ),
    )
    preview = services.preview_series(data, manager, now=then)
    services.create_series(data, manager, skip={c.day for c in preview.conflicts}, now=then)


def _one_offs(
    rng,
    count,
    resources,
    org_by_key,
    members,
    manager,
    calendar,
    closures,  # noqa: ANN001
    first_day: date,
    last_day: date,
    then: datetime,
    today: date,
) -> list[dict]:
    """Draw realistic bookings at random, keep those the rules accept, until there are `count`."""
    pool = list(resources.values())
    weights = [5 if r.is_room else 2 for r in pool]
    policies = {r.id: services.policy_of(r) for r in pool}
    periods = {
        r.id: [
            rules.ClosurePeriod(c.start, c.end, c.reason)
            for c in closures
            if c.resource_id in (None, r.id)
        ]
        for r in pool
    }
    tz = pool[0].site.tz
    now = datetime.now(UTC)
    rows: list[dict] = []
    span = (last_day - first_day).days
    while len(rows) < count:
        resource = rng.choices(pool, weights)[0]
        policy = policies[resource.id]
        org = rng.choice([o for o in org_by_key.values() if o.kind in resource.allowed_kinds])
        day = first_day + timedelta(days=1 + rng.randrange(span))
        hours = resource.hours_for(day.weekday())
        if not hours:
            continue
        opens, closes = hours[0]
        step = resource.granularity_minutes
        if resource.name.startswith("Étagères"):
            minutes = rng.choice([1, 2, 3]) * 1440
        else:
            minutes = rng.choice([60, 60, 90, 120, 120, 180, 240])
        minutes = max(resource.min_duration_minutes, -(-minutes // step) * step)
        latest = (closes - minutes) if minutes < 1440 else closes - step
        if latest < opens:
            continue
        start_minute = opens + rng.randrange((latest - opens) // step + 1) * step
        start = local_to_utc(day, time(start_minute // 60, start_minute % 60), tz)
        end = start + timedelta(minutes=minutes)
        quantity = 1 if resource.quantity == 1 else rng.randint(1, max(1, resource.quantity // 2))
        request = rules.BookingRequest(start, end, quantity, org.kind, True, False)
        occupied = calendar.around(resource.id, start, end)
        if rules.check_booking(request, policy, occupied, periods[resource.id], then):
            continue
        status = "confirmed"
        roll = rng.random()
        if roll < 0.04:
            status = "cancelled"
        elif resource.requires_approval and day > today and roll < 0.25:
            status = "pending"
        elif resource.requires_approval and roll < 0.08:
            status = "rejected"
        if status in ACTIVE_STATUSES:
            calendar.add(resource.id, start, end, quantity)
        created = then + timedelta(days=rng.randrange(max(1, (day - first_day).days)))
        rows.append(
            {
                "resource_id": resource.id,
                "organisation_id": org.id,
                "created_by_id": rng.choice(members.get(org.id) or [manager.id]),
                "title": rng.choice(TITLES),
                "description": "",
                "is_public": rng.random() < 0.3,
                "start": start,
                "end": end,
                "occupied_until": end + timedelta(minutes=resource.buffer_minutes),
                "quantity": quantity,
                "exclusive": resource.quantity == 1,
                "status": status,
                "sequence": 0,
                "created_at": min(created, now),
                "updated_at": min(created, now),
                "decision_note": "Cuisine déjà retenue" if status == "rejected" else "",
            }
        )
    return rows


def _free_slots(
    offices: list[Resource], calendar: Calendar, closed: set[date], first: date, last: date
) -> list[tuple[int, date, str, str]]:
    """Half-hours of the offices that nobody has booked, soonest first, to book during the run."""
    slots = []
    day = first
    while day <= last:
        if day not in closed:
            for office in offices:
                for opens, closes in office.hours_for(day.weekday()):
                    for minute in range(opens, closes - 29, 30):
                        start = local_to_utc(day, time(minute // 60, minute % 60), office.site.tz)
                        end = start + timedelta(minutes=30)
                        if not any(
                            rules.overlaps(start, end, o.start, o.end)
                            for o in calendar.around(office.id, start, end)
                        ):
                            slots.append(
                                (
                                    office.id,
                                    day,
                                    f"{minute // 60:02d}:{minute % 60:02d}",
                                    f"{(minute + 30) // 60:02d}:{(minute + 30) % 60:02d}",
                                )
                            )
        day += timedelta(days=1)
    return slots
