"""The demo building: the pôle des solidarités "Les 4 Épis"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from pole.auth.passwords import hash_password
from pole.auth.services import create_user
from pole.bookings import services
from pole.bookings.recurrence import Recurrence
from pole.db import db, utcnow
from pole.organisations.models import Membership, Organisation
from pole.resources.models import Resource, Site

DOMAIN = "demo.les4epis.fr"
WEEK = {str(day): [[8 * 60, 19 * 60]] for day in range(6)}  # Monday to Saturday 08:00–19:00
ALWAYS = {str(day): [[0, 1440]] for day in range(7)}

ORGANISATIONS = [
    # key, kind, name, short name, colour (the 4 Épis logo gives each association its own)
    ("epicerie", "association", "Épicerie solidaire des 4 ponts", "Épicerie", "#2f855a"),
    ("restos", "association", "Restos du cœur", "Restos", "#c53030"),
    ("catholique", "association", "Secours catholique", "Secours cath.", "#2b6cb0"),
    ("populaire", "association", "Secours populaire", "Secours pop.", "#b7791f"),
    ("caf", "partner", "CAF de la Loire", "CAF", "#6b46c1"),
    ("mission", "partner", "Mission locale", "Mission locale", "#0e7490"),
    ("ccas", "ccas", "CCAS d'Andrézieux-Bouthéon", "CCAS", "#4a5568"),
]

RESOURCES = [
    dict(
        name="Hall d'accueil",
        kind="room",
        capacity=80,
        description="Grand hall lumineux : accueil, expositions, distributions.",
        granularity_minutes=30,
        min_duration_minutes=30,
        opening_hours=WEEK,
        allowed_kinds=["association", "ccas"],
    ),
    dict(
        name="Cuisine équipée",
        kind="room",
        capacity=12,
        description="Cuisine professionnelle pour les ateliers cuisine et les goûters.",
        granularity_minutes=15,
        min_duration_minutes=60,
        buffer_minutes=30,
        requires_approval=True,
        opening_hours=WEEK,
        allowed_kinds=["association", "ccas"],
    ),
    dict(
        name="Bureau partagé 1",
        kind="room",
        capacity=4,
        description="Bureau pour recevoir les personnes en toute confidentialité.",
        opening_hours=WEEK,
        allowed_kinds=["association", "partner", "ccas"],
    ),
    dict(
        name="Bureau partagé 2",
        kind="room",
        capacity=4,
        description="Bureau pour recevoir les personnes ou animer un petit atelier.",
        opening_hours=WEEK,
        allowed_kinds=["association", "partner", "ccas"],
    ),
    dict(
        name="Vidéoprojecteur",
        kind="equipment",
        quantity=1,
        unit_singular="vidéoprojecteur",
        unit_plural="vidéoprojecteurs",
        opening_hours=WEEK,
        allowed_kinds=["association", "partner", "ccas"],
    ),
    dict(
        name="Tables pliantes",
        kind="equipment",
        quantity=10,
        unit_singular="table pliante",
        unit_plural="tables pliantes",
        granularity_minutes=30,
        opening_hours=WEEK,
        allowed_kinds=["association", "ccas"],
    ),
    dict(
        name="Étagères de la chambre froide",
        kind="equipment",
        quantity=6,
        unit_singular="étagère",
        unit_plural="étagères",
        granularity_minutes=60,
        min_duration_minutes=60,
        max_duration_minutes=7 * 24 * 60,
        opening_hours=ALWAYS,
        allowed_kinds=["association", "ccas"],
    ),
]


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    role: str  # what the README and the command print


ACCOUNTS = [
    DemoAccount(f"gestion@{DOMAIN}", "Nadia Gestion", "gestionnaire du bâtiment (CCAS)"),
    DemoAccount(f"as@{DOMAIN}", "Claire Social", "travailleuse sociale (CCAS)"),
    DemoAccount(f"coordination.restos@{DOMAIN}", "Bernard Coordination", "coordinateur, Restos"),
    DemoAccount(f"benevole@{DOMAIN}", "Monique Bénévole", "bénévole, Restos et Épicerie"),
    DemoAccount(f"partenaire@{DOMAIN}", "Karim Partenaire", "partenaire, CAF"),
]


def is_empty() -> bool:
    return db.session.scalar(db.select(db.func.count(Site.id))) == 0


def load(password: str, past: bool = False) -> list[DemoAccount]:
    """Fill an empty database with the demo building; every demo account gets `password`.

    `past` adds a past half-year of bookings for the report (`flask pole demo` asks for it;
    tests and the bench lay out their own days).
    """
    site = Site(
        name="Pôle des solidarités Les 4 Épis",
        address="Andrézieux-Bouthéon (Loire)",
        timezone="Europe/Paris",
    )
    db.session.add(site)
    orgs = {}
    for key, kind, name, short, colour in ORGANISATIONS:
        orgs[key] = Organisation(kind=kind, name=name, short_name=short, colour=colour)
        db.session.add(orgs[key])
    for position, fields in enumerate(RESOURCES):
        db.session.add(Resource(site=site, position=position, **fields))

    # Every demo account shares the password: hashing it once keeps loading quick.
    password_hash = hash_password(password)
    users = [create_user(a.email, a.name, None) for a in ACCOUNTS]
    for user in users:
        user.password_hash = password_hash
    manager, social_worker, coordinator, volunteer, partner = users
    manager.is_manager = True
    social_worker.is_social_worker = True
    memberships = [
        (manager, "ccas", "coordinator"),
        (social_worker, "ccas", "volunteer"),
        (coordinator, "restos", "coordinator"),
        (volunteer, "restos", "volunteer"),
        (volunteer, "epicerie", "volunteer"),
        (partner, "caf", "coordinator"),
    ]
    for user, key, role in memberships:
        db.session.add(Membership(user=user, organisation=orgs[key], role=role))
    db.session.commit()
    load_bookings(site)
    load_quotas(site)
    from pole.permanences.demo import load_permanence  # it builds on the rows above

    load_permanence()
    from pole.seasons.demo import load_season

    load_season(site)
    from pole.reports.demo import load_report_data  # a past half-year, values, public page

    load_report_data(site, past=past)
    return ACCOUNTS


def _next(weekday: int, after: date) -> date:
    return after + timedelta(days=(weekday - after.weekday()) % 7 or 7)


def load_bookings(site: Site) -> None:
    """A few weeks of the building's life, from today: the series and one-off bookings."""
    from pole.auth.models import User
    from pole.timeutil import local_to_utc, to_local

    now = utcnow()
    today = to_local(now, site.tz).date()
    until = today + timedelta(weeks=16)
    rooms = {r.name: r for r in site.resources}
    orgs = {o.short_name: o for o in db.session.scalars(db.select(Organisation))}
    users = {u.email.split("@")[0]: u for u in db.session.scalars(db.select(User))}
    manager, coordinator = users["gestion"], users["coordination.restos"]
    volunteer, partner = users["benevole"], users["partenaire"]

    def weekly(room, org, user, title, days, start, end, interval=1, public=False):
        recurrence = Recurrence(
            first_day=today + timedelta(days=1),
            start_time=start,
            end_time=end,
            freq="weekly",
            interval=interval,
            weekdays=frozenset(days),
            until=until,
        )
        data = services.SeriesData(
            rooms[room].id, orgs[org].id, title, recurrence, is_public=public
        )
        preview = services.preview_series(data, user, now)
        services.create_series(data, user, skip=[c.day for c in preview.conflicts], now=now)

    def once(room, org, user, title, day, start, end, quantity=1, public=False):
        data = services.BookingData(
            rooms[room].id,
            orgs[org].id,
            local_to_utc(day, start, site.tz),
            local_to_utc(day, end, site.tz),
            title,
            is_public=public,
            quantity=quantity,
        )
        services.create_booking(data, user, now)

    weekly(
        "Hall d'accueil",
        "Restos",
        coordinator,
        "Distribution alimentaire",
        {1, 3},
        time(8, 30),
        time(12, 0),
    )
    weekly(
        "Hall d'accueil",
        "Épicerie",
        volunteer,
        "Accueil de l'épicerie solidaire",
        {2},
        time(14, 0),
        time(17, 0),
        public=True,
    )
    weekly("Bureau partagé 2", "CAF", partner, "Permanence CAF", {1}, time(9, 0), time(12, 0))
    weekly(
        "Bureau partagé 2",
        "Secours cath.",
        manager,
        "Atelier estime de soi",
        {0},
        time(14, 0),
        time(16, 0),
        interval=2,
    )
    weekly(
        "Tables pliantes",
        "Restos",
        coordinator,
        "Tables de la distribution",
        {1, 3},
        time(8, 0),
        time(12, 30),
    )
    friday, saturday = _next(4, today), _next(5, today)
    once(
        "Cuisine équipée", "Restos", volunteer, "Atelier cuisine", friday, time(14, 0), time(16, 0)
    )
    once(
        "Tables pliantes",
        "Secours pop.",
        manager,
        "Braderie solidaire",
        saturday,
        time(9, 0),
        time(18, 0),
        quantity=6,
        public=True,
    )
    once(
        "Hall d'accueil",
        "Secours pop.",
        manager,
        "Braderie solidaire",
        saturday,
        time(9, 0),
        time(18, 0),
        public=True,
    )
    once(
        "Vidéoprojecteur",
        "Secours cath.",
        manager,
        "Projection-débat",
        friday,
        time(18, 0),
        time(19, 0),
    )


def load_quotas(site: Site) -> None:
    """A monthly hall quota for every association, the Restos' own for the winter, and a
    weekly one on the two offices: set after the bookings, so the Partage page has numbers."""
    from pole.quotas.models import Quota, ResourceGroup

    rooms = {r.name: r for r in site.resources}
    restos = db.session.scalar(db.select(Organisation).where(Organisation.short_name == "Restos"))
    offices = ResourceGroup(
        name="les deux bureaux", members=[rooms["Bureau partagé 1"], rooms["Bureau partagé 2"]]
    )
    hall = rooms["Hall d'accueil"]
    db.session.add_all(
        [
            offices,
            Quota(organisation_kind="association", resource=hall, period="month", maximum=30),
            # The winter distribution needs more: the Restos' own quota replaces the default.
            Quota(organisation=restos, resource=hall, period="month", maximum=40),
            Quota(
                organisation_kind="association",
                group=offices,
                period="week",
                unit="bookings",
                maximum=4,
            ),
            Quota(organisation_kind="partner", group=offices, period="month", maximum=30),
        ]
    )
    db.session.commit()
