"""What the season pages list: the seasons, the organisations one asks for, requests one sees."""

from __future__ import annotations

from typing import Any

from pole import permissions
from pole.db import db
from pole.organisations.models import Organisation
from pole.seasons.models import Season, SeasonRequest


def seasons() -> list[Season]:
    return list(db.session.scalars(db.select(Season).order_by(Season.first_day.desc())))


def organisations_of(user: Any) -> list[Organisation]:
    """The manager's choice is every active organisation; anyone else's, their own."""
    if permissions.is_manager(user):
        query = db.select(Organisation).where(Organisation.is_active)
        return sorted(db.session.scalars(query), key=lambda o: o.sort_key)
    return user.organisations()


def requests_seen_by(season: Season, user: Any) -> list[SeasonRequest]:
    """The manager sees every request; a member those of their associations."""
    if permissions.is_manager(user):
        return list(season.requests)
    mine = {o.id for o in user.organisations()}
    return [r for r in season.requests if r.organisation_id in mine]
