"""Factories: make_thing(**overrides) builds and commits one row with sensible defaults."""

from __future__ import annotations

import functools
import html
import itertools
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from werkzeug.test import TestResponse

from pole.auth.models import User
from pole.auth.passwords import hash_password
from pole.bookings.models import Booking
from pole.db import db, write_transaction
from pole.organisations.models import Invitation, Membership, Organisation
from pole.quotas.models import Quota, ResourceGroup
from pole.resources.models import Resource, Site

if TYPE_CHECKING:
    from pole.seasons.models import Season

PASSWORD = "motdepasse-de-test"  # noqa: S105 (test-only)
_PASSWORD_HASH = hash_password(PASSWORD)  # hashing once keeps the suite fast
_counter = itertools.count(1)
T = TypeVar("T")


def _writes(factory: Callable[..., T]) -> Callable[..., T]:
    """Write like the app does: on SQLite, take the write lock when the transaction begins.

    A test's session otherwise keeps a read snapshot that another connection (the live
    server) may have outdated, and SQLite refuses to upgrade such a snapshot to a write.
    """

    @functools.wraps(factory)
    def wrapper(*args, **kwargs) -> T:  # noqa: ANN002, ANN003
        with write_transaction():
            return factory(*args, **kwargs)

    return wrapper


def _n() -> int:
    return next(_counter)


@_writes
def make_site(**overrides) -> Site:
    site = Site(**{"name": "Pôle des solidarités", "timezone": "Europe/Paris", **overrides})
    db.session.add(site)
    db.session.commit()
    return site


@_writes
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


@_writes
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


@_writes
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


@_writes
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


@_writes
def make_group(name: str, *members: Resource) -> ResourceGroup:
    group = ResourceGroup(name=name, members=list(members))
    db.session.add(group)
    db.session.commit()
    return group


@_writes
def make_quota(**overrides) -> Quota:
    """A quota of 20 hours a month for every association, on the resource or group given."""
    fields = {"period": "month", "unit": "hours", "maximum": 20}
    if "organisation" not in overrides and "organisation_id" not in overrides:
        fields["organisation_kind"] = "association"
    quota = Quota(**{**fields, **overrides})
    db.session.add(quota)
    db.session.commit()
    return quota


@_writes
def make_invitation(organisation: Organisation, **overrides) -> Invitation:
    fields = {"email": f"invitee{_n()}@exemple.fr", "name": "", "role": "volunteer"}
    invitation = Invitation(organisation=organisation, **{**fields, **overrides})
    db.session.add(invitation)
    db.session.commit()
    return invitation


@_writes
def make_season(site_id: int, **overrides) -> Season:
    """A season open for requests: its dates from 30 days ahead for 120 days, the deadline
    30 days ahead."""
    from pole.db import utcnow
    from pole.seasons.models import Season

    far = utcnow() + timedelta(days=30)
    fields = {
        "name": "Saison test",
        "first_day": far.date(),
        "last_day": far.date() + timedelta(days=120),
        "deadline": far,
        "status": "open",
        "excluded": [],
    }
    season = Season(site_id=site_id, **{**fields, **overrides})
    db.session.add(season)
    db.session.commit()
    return season


# Reading pages --------------------------------------------------------------------------------


def page_text(response: TestResponse) -> str:
    """The page's HTML with entities decoded, to look for French text as a person reads it."""
    return html.unescape(response.get_data(as_text=True))


def errors_beside(response: TestResponse, field_id: str) -> list[str]:
    """The error messages shown beside one form field (the list tied to it by its id)."""
    match = re.search(
        rf'<ul class="errors" id="{re.escape(field_id)}-errors">(.*?)</ul>',
        response.get_data(as_text=True),
        re.DOTALL,
    )
    if match is None:
        return []
    return [html.unescape(item).strip() for item in re.findall(r"<li>(.*?)</li>", match[1])]


def database_snapshot() -> dict[str, list]:
    """Every committed row of every table, read on a connection of its own."""
    with db.engine.connect() as connection:
        return {
            table.name: sorted(map(tuple, connection.execute(table.select()).all()), key=repr)
            for table in db.metadata.sorted_tables
        }


# Permanences ----------------------------------------------------------------------------------


@_writes
def make_permanence(
    social_worker: User | None = None,
    resource: Resource | None = None,
    now: datetime | None = None,
    skip: tuple = (),
    **overrides,
):
    """Publish a permanence through the service (so its room is booked), by default every
    Thursday 14:00–17:00 in 30-minute slots for 8 weeks from `now`'s date (from the next day
    when `now` is past that day's opening: a session already begun is refused as in the past,
    so a Thursday afternoon would refuse the whole permanence)."""
    from datetime import time

    from pole.db import utcnow
    from pole.permanences import services
    from pole.timeutil import to_local

    now = now or utcnow()
    resource = resource or make_resource()
    if social_worker is None:
        ccas = make_organisation(kind="ccas", name=f"CCAS {_n()}")
        social_worker = make_user(ccas, is_social_worker=True)
    ccas_id = next(m.organisation_id for m in social_worker.memberships)
    today = to_local(now, resource.site.tz).date()
    pattern = {
        "weekdays": frozenset({3}),
        "start_time": time(14, 0),
        "end_time": time(17, 0),
        "slot_minutes": 30,
        "first_day": today,
        "until": today + timedelta(weeks=8),
        "pause_start": None,
        "pause_end": None,
    }
    settings = {"open_days_ahead": 21, "fair_share_limit": 2, "fair_share_hours": 48}
    for key in list(overrides):
        if key in pattern:
            pattern[key] = overrides.pop(key)
        elif key in settings:
            settings[key] = overrides.pop(key)
    begun = to_local(now, resource.site.tz).time() >= pattern["start_time"]
    if pattern["first_day"] == today and today.weekday() in pattern["weekdays"] and begun:
        pattern["first_day"] = today + timedelta(days=1)  # today's session has begun
    data = services.PermanenceData(
        resource_id=resource.id,
        organisation_id=overrides.pop("organisation_id", ccas_id),
        title=overrides.pop("title", "Permanence sociale"),
        pattern=services.PatternData(**pattern),
        **settings,
    )
    assert not overrides, f"unknown overrides {overrides}"
    return services.publish_permanence(data, social_worker, skip, now)
