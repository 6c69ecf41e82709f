"""Each person's choices of mail: read them, save them from the page or a one-click link."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from pole.auth.models import User
from pole.db import db, write_transaction
from pole.events.record import record
from pole.notifications import rules
from pole.notifications.models import NotificationChoice
from pole.notifications.tokens import read_unsubscribe_token


def kinds_of(user: User) -> list[rules.Kind]:
    """The kinds of mail this person receives, as the page lists them."""
    coordinates = any(m.role == "coordinator" for m in user.memberships)
    member = bool(user.memberships)
    return rules.kinds_for(user.is_manager, user.is_social_worker, coordinates, member)


def choices_of(user_id: int) -> dict[str, str]:
    """Every kind's choice for this person (their own, or the kind's default)."""
    stored = dict(
        db.session.execute(
            sa.select(NotificationChoice.kind, NotificationChoice.choice).where(
                NotificationChoice.user_id == user_id
            )
        ).all()
    )
    return {kind.key: rules.choice_of(kind.key, stored.get(kind.key)) for kind in rules.KINDS}


def _store(user_id: int, choices: dict[str, str]) -> dict[str, str]:
    """Write the choices that change; what they were before, by kind."""
    current = choices_of(user_id)
    changed = {k: c for k, c in choices.items() if current.get(k) != c}
    if changed:
        db.session.execute(
            sa.delete(NotificationChoice).where(
                NotificationChoice.user_id == user_id, NotificationChoice.kind.in_(changed)
            )
        )
        db.session.add_all(
            NotificationChoice(user_id=user_id, kind=k, choice=c) for k, c in changed.items()
        )
    return {k: current[k] for k in changed}


def save_choices(user: User, choices: dict[str, str], now: datetime) -> bool:
    """Save what the page chose (each kind's choice, among those it allows); whether any
    changed. The change is recorded as an event."""
    allowed = {k: c for k, c in choices.items() if c == rules.choice_of(k, c)}
    with write_transaction(now=now):
        before = _store(user.id, allowed)
        if before:
            after = {k: allowed[k] for k in before}
            record("notifications.chosen", actor=user, now=now, before=before, after=after)
    return bool(before)


def unsubscribe(user_id: int, kinds: list[str], now: datetime) -> list[rules.Kind] | None:
    """Set these kinds to "never" for this person (a one-click link); the kinds turned off,
    or None when the person is gone. Kinds that cannot be turned off stay as they are."""
    with write_transaction(now=now):
        user = db.session.get(User, user_id)
        if user is None:
            return None
        off = [k for k in kinds if k in rules.KINDS_BY_KEY]
        off = [k for k in off if rules.KINDS_BY_KEY[k].can_be_turned_off]
        before = _store(user.id, dict.fromkeys(off, rules.NEVER))
        if before:
            after = dict.fromkeys(before, rules.NEVER)
            record("notifications.unsubscribed", actor=user, now=now, before=before, after=after)
    return [rules.KINDS_BY_KEY[k] for k in off]


def open_unsubscribe_link(token: str) -> tuple[User, list[rules.Kind]] | None:
    """The person and the kinds of mail a genuine unsubscribe link names; None otherwise."""
    found = read_unsubscribe_token(token)
    if found is None:
        return None
    user_id, keys = found
    kinds = [rules.KINDS_BY_KEY[k] for k in keys if k in rules.KINDS_BY_KEY]
    person = db.session.get(User, user_id)
    return (person, kinds) if person is not None and kinds else None
