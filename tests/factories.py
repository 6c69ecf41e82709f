"""Factories: make_thing(**overrides) builds and commits one row with sensible defaults."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from pole.auth.models import User
from pole.auth.passwords import hash_password
from pole.bookings.models import Booking
from pole.db import db
from pole.organisations.models import Membership, Organisation
from pole.resources.models import Resource, Site

PASSWORD = "motdepasse-de-test"  # noqa: S105 (test-only)
_PASSWORD_HASH = hash_password(PASSWORD)  # hashing once keeps the suite fast
_counter = itertools.count(1)


def _n() -> int:
    return next(_counter)


def make_site(**overrides) -> Site:
    site = Site(**{"name": "Pôle des solidarités", "timezone": "Europe/Paris", **overrides})
    db.session.add(site)
    db.session.commit()
    return site


def make_organisation(**overrides) -> Organisation:
    n = _n()
    fields = {
        "kind": "association",
        "name": f"Association {n}",
        "short_name": f"Asso {n}",
        "colour": "#2f855a",
    }
    organisation = Organisation(**{**fields, **overrides})
    db.session.add(organisation)
    db.session.commit()
    return organisation


def make_user(
    organisation: Organisation | None = None, role: str = "volunteer", **overrides
) -> User:
    n = _n()
    fields = {
        "email": f"personne{n}@exemple.fr",
        "name": f"Personne {n}",
        "password_hash": _PASSWORD_HASH,
    }
    user = User(**{**fields, **overrides})
    db.session.add(user)
    if organisation is not None:
        db.session.add(Membership(user=user, organisation=organisation, role=role))
    db.session.commit()
    return user


def make_resource(site: Site | None = None, **overrides) -> Resource:
    site = site or db.session.scalar(db.select(Site).limit(1)) or make_site()
    fields = {
        "name": f"Salle {_n()}",
        "kind": "room",
        "quantity": 1,
        "opening_hours": {str(day): [[0, 1440]] for day in range(7)},
        "granularity_minutes": 15,
        "min_duration_minutes": 15,
        "max_duration_minutes": 24 * 60,
        "max_days_ahead": 365,
        "allowed_kinds": ["association", "partner", "ccas"],
    }
    resource = Resource(site=site, **{**fields, **overrides})
    db.session.add(resource)
    db.session.commit()
    return resource


def make_booking(
    resource: Resource, organisation: Organisation, start: datetime, hours: float = 1, **overrides
) -> Booking:
    end = overrides.pop("end", start + timedelta(hours=hours))
    fields = {
        "title": "Réunion",
        "start": start,
        "end": end,
        "occupied_until": end + timedelta(minutes=resource.buffer_minutes),
        "quantity": 1,
        "exclusive": resource.quantity == 1,
        "status": "confirmed",
    }
    booking = Booking(resource=resource, organisation=organisation, **{**fields, **overrides})
    db.session.add(booking)
    db.session.commit()
    return booking
