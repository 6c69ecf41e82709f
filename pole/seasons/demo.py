"""The demo building's season in progress: a few regular needs asked, one clash to resolve."""

from __future__ import annotations

from datetime import date, time, timedelta

from pole.db import db, utcnow
from pole.formatting import format_hhmm
from pole.organisations.models import Organisation
from pole.resources.models import Site
from pole.seasons.models import Season, SeasonRequest
from pole.timeutil import local_to_utc, to_local

# (association's short name, room, weekdays, from, to, priority, note)
REQUESTS = [
    ("Restos", "Hall d'accueil", [1], time(9), time(12), 1, "Distribution hebdomadaire."),
    ("Épicerie", "Hall d'accueil", [1], time(10, 30), time(12, 30), 2, "Atelier cuisine."),
    ("Secours pop.", "Bureau partagé 1", [0, 3], time(14), time(17), 2, "Accueil sur rendez-vous."),
]


def _first_of_month_after(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def load_season(site: Site) -> Season:
    """Open from the first of the month after next, for five months, requests due in 10 days."""
    today = to_local(utcnow(), site.tz).date()
    first = _first_of_month_after(_first_of_month_after(today))
    season = Season(
        site_id=site.id,
        name=f"Saison {first.year}",
        first_day=first,
        last_day=first + timedelta(days=150),
        excluded=[],
        deadline=local_to_utc(today + timedelta(days=10), time(0, 0), site.tz),
        status="open",
    )
    db.session.add(season)
    rooms = {r.name: r for r in site.resources}
    for short, room, weekdays, start, end, priority, note in REQUESTS:
        organisation = db.session.scalar(
            db.select(Organisation).where(Organisation.short_name == short)
        )
        db.session.add(
            SeasonRequest(
                season=season,
                organisation_id=organisation.id,
                resource_id=rooms[room].id,
                weekdays=weekdays,
                start_time=format_hhmm(start),
                end_time=format_hhmm(end),
                from_day=season.first_day,
                until=season.last_day,
                priority=priority,
                note=note,
            )
        )
    db.session.commit()
    return season
