"""The demo building's past half-year, its values and its public page: so that the report,
the attestations and the public page say something on `make run`."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from pole.bookings.models import Booking
from pole.db import db, utcnow
from pole.events.models import Event
from pole.organisations.models import Organisation
from pole.reports.models import ResourceValue
from pole.resources.models import Resource, Site
from pole.timeutil import local_to_utc, to_local

WEEKS = 26
# (association, room, weekday, start, end, every n weeks)
HABITS = [
    ("Restos", "Hall d'accueil", 1, time(8, 30), time(12, 0), 1),
    ("Épicerie", "Hall d'accueil", 2, time(14, 0), time(18, 0), 1),
    ("Épicerie", "Cuisine équipée", 4, time(9, 0), time(12, 0), 2),
    ("Secours cath.", "Bureau partagé 1", 0, time(9, 0), time(12, 0), 1),
    ("Secours pop.", "Bureau partagé 2", 3, time(14, 0), time(17, 0), 1),
    ("Secours pop.", "Hall d'accueil", 5, time(10, 0), time(12, 0), 4),
    ("CAF", "Bureau partagé 1", 3, time(9, 0), time(12, 0), 1),
    ("Restos", "Tables pliantes", 1, time(8, 0), time(13, 0), 1),
]
PRESENTATIONS = {
    "Épicerie": (
        "Une épicerie à petits prix pour les familles du canton.",
        "Produits frais, d'hygiène et d'entretien à 10 à 30 % de leur prix.",
        "Familles orientées par un travailleur social (CCAS, département).",
        "Épicerie ouverte mercredi et vendredi 14:00–18:00.",
        "04 77 00 00 01 — epicerie@demo.les4epis.fr",
    ),
    "Restos": (
        "Aide alimentaire et accompagnement, d'octobre à mars et en été.",
        "Distribution de colis, café solidaire, aide aux démarches.",
        "Personnes inscrites après un entretien d'accueil.",
        "Distribution le mardi 08:30–12:00 ; inscriptions le lundi 14:00–16:00.",
        "04 77 00 00 02",
    ),
    "Secours cath.": (
        "Accueil, écoute et accompagnement des personnes en difficulté.",
        "Accueil de jour, aide aux démarches, vestiaire.",
        "Toute personne, sans condition.",
        "Accueil le lundi 09:00–12:00.",
        "04 77 00 00 03",
    ),
    "Secours pop.": (
        "Solidarité matérielle et accès aux vacances, à la culture et aux droits.",
        "Aide alimentaire, permanence d'accès aux droits, sorties familiales.",
        "Familles et personnes seules du canton.",
        "Permanence le jeudi 14:00–17:00.",
        "04 77 00 00 04",
    ),
}


def load_report_data(site: Site, now: datetime | None = None, past: bool = True) -> None:
    """Values from the start of the half-year, its past bookings (unless told), public
    presentations."""
    now = now or utcnow()
    tz = site.tz
    today = to_local(now, tz).date()
    first = today - timedelta(weeks=WEEKS)
    rooms = {r.name: r for r in db.session.scalars(db.select(Resource))}
    orgs = {o.short_name: o for o in db.session.scalars(db.select(Organisation))}
    start_of_values = date(first.year, 1, 1)
    values = [
        ("Hall d'accueil", start_of_values, 2500, None, None),
        ("Hall d'accueil", today - timedelta(weeks=10), 2800, None, None),
        ("Cuisine équipée", start_of_values, None, 6000, 10000),
        ("Bureau partagé 1", start_of_values, 800, None, None),
        ("Bureau partagé 2", start_of_values, 800, None, None),
        ("Vidéoprojecteur", start_of_values, 500, None, None),
        ("Tables pliantes", start_of_values, 50, None, None),
    ]
    for name, valid_from, hour, half, day in values:
        if name in rooms:
            db.session.add(
                ResourceValue(
                    resource_id=rooms[name].id,
                    valid_from=valid_from,
                    per_hour_cents=hour,
                    per_half_day_cents=half,
                    per_day_cents=day,
                )
            )
    n = 0
    for short, room_name, weekday, start, end, every in HABITS if past else ():
        room, org = rooms.get(room_name), orgs.get(short)
        if room is None or org is None:
            continue
        day = first + timedelta(days=(weekday - first.weekday()) % 7)
        week = 0
        while day < today:
            if week % every == 0:
                n += 1
                _past_booking(room, org, day, start, end, tz, n)
            day += timedelta(weeks=1)
            week += 1
    for short, texts in PRESENTATIONS.items():
        org = orgs.get(short)
        if org is not None:
            org.public_shown = True
            (
                org.public_presentation,
                org.public_offer,
                org.public_audience,
                org.public_hours,
                org.public_contact,
            ) = texts
    site.directions = (
        "Bus STAS ligne 3, arrêt Mairie ; parking gratuit derrière le bâtiment. "
        "Entrée accessible en fauteuil par la rue des Ponts."
    )
    db.session.commit()


def _past_booking(
    room: Resource, org: Organisation, day: date, start: time, end: time, tz, n: int
) -> None:  # noqa: ANN001
    """One past occurrence: most were held, one in nine cancelled (one in three of them late),
    a kitchen request now and then refused."""
    begins, ends = local_to_utc(day, start, tz), local_to_utc(day, end, tz)
    status = "confirmed"
    if n % 9 == 0:
        status = "cancelled"
    elif room.requires_approval and n % 5 == 0:
        status = "rejected"
    booking = Booking(
        resource_id=room.id,
        organisation_id=org.id,
        title="Distribution" if room.is_room else "Tables pour la distribution",
        start=begins,
        end=ends,
        occupied_until=ends + timedelta(minutes=room.buffer_minutes),
        quantity=8 if not room.is_room else 1,
        exclusive=room.quantity == 1,
        status=status,
    )
    db.session.add(booking)
    if status == "cancelled":
        db.session.flush()
        notice = timedelta(hours=20) if n % 27 == 0 else timedelta(days=6)
        db.session.add(
            Event(
                at=begins - notice,
                kind="booking.cancelled",
                organisation_id=org.id,
                resource_id=room.id,
                booking_id=booking.id,
                data={},
            )
        )
