"""What the season pages list: the seasons, the organisations one asks for, the requests one
sees and may change, the manager's messages one received."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pole import permissions
from pole.db import db
from pole.organisations.models import Organisation
from pole.seasons import rules
from pole.seasons.models import Season, SeasonMessage, SeasonRequest


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


def changeable_ids(season: Season, user: Any, now: datetime) -> set[int]:
    """The requests this person may still change or withdraw: their associations' (any for
    the manager), before the deadline (until publication for the manager), not withdrawn."""
    by_manager = permissions.is_manager(user)
    return {
        r.id
        for r in requests_seen_by(season, user)
        if permissions.can_request_slots(user, r.organisation)
        and rules.may_change_request(r.status, season.deadline, season.status, now, by_manager)
    }


def messages_seen_by(season: Season, user: Any) -> list[SeasonMessage]:
    """The manager's messages about the plan: all for the manager, else those written to
    one of the person's associations, newest first."""
    messages = sorted(season.messages, key=lambda m: m.sent_at, reverse=True)
    if permissions.is_manager(user):
        return messages
    mine = {o.id for o in user.organisations()}
    return [m for m in messages if mine & set(m.organisation_ids or ())]
