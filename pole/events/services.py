"""What the record is read for: a booking's history, the journal, each person's notices."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from pole import permissions
from pole.auth.models import User
from pole.bookings.models import Booking
from pole.db import db, write_transaction
from pole.events import wording
from pole.events.models import Event, NoticesSeen
from pole.organisations.models import Membership
from pole.resources.models import Resource
from pole.sites.services import current_site

PAGE_SIZE = 50
NOTICES_SHOWN = 20
# A first visit shows what happened in the last week; notices never reach back further.
NOTICES_REACH = timedelta(days=7)
# News for everyone in the building, whatever their organisation.
BUILDING_KINDS = ("closure.added", "closure.removed", "permanence.date_cancelled",
                  "permanence.changed", "permanence.published")  # fmt: skip
# Never notices: the person's own settings and other people's feed and door links; the
# noticeboard's notices show on the board itself.
QUIET_KINDS = ("feed_link.created", "feed_link.revoked", "display_link.created",
               "display_link.revoked", "notice.posted", "notice.withdrawn")  # fmt: skip


# The events about one person, named by `after["user_id"]`.
PERSON_KINDS = ("membership.", "site.managers_limited")


def site_tz() -> ZoneInfo:
    site = current_site()
    return ZoneInfo(site.timezone if site else "Europe/Paris")


def _not_an_occurrence_of_a_series_change() -> sa.ColumnElement[bool]:
    """Occurrences changed with their series carry it: their series' event speaks for them."""
    return sa.or_(
        Event.booking_id.is_(None), Event.subject_type.is_(None), Event.subject_type != "series"
    )


def _entries(events: Sequence[Event], tz: ZoneInfo) -> list[wording.Entry]:
    """The events with the names their wording needs (the people named: one query)."""
    person_ids = {e.after.get("user_id") for e in events if e.kind.startswith(PERSON_KINDS)}
    people = {}
    if person_ids - {None}:
        names = db.select(User.id, User.name).where(User.id.in_(person_ids - {None}))
        people = dict(db.session.execute(names).all())
    return [
        wording.Entry(
            kind=e.kind,
            at=e.at,
            tz=tz,
            actor=e.actor.name if e.actor else None,
            before=e.before,
            after=e.after,
            title=e.after.get("title") or e.before.get("title") or "",
            resource=e.resource.name if e.resource else "",
            person=people.get(e.after.get("user_id"), "Une personne"),
            organisation=e.organisation.name if e.organisation else "",
        )
        for e in events
    ]


def _with_names(query: sa.Select) -> sa.Select:
    return query.options(
        sa.orm.joinedload(Event.actor),
        sa.orm.joinedload(Event.resource),
        sa.orm.joinedload(Event.organisation),
    )


def history_of(booking: Booking) -> list[str]:
    """A booking's history in French sentences, oldest first."""
    events = db.session.scalars(
        _with_names(db.select(Event).where(Event.booking_id == booking.id)).order_by(
            Event.at, Event.id
        )
    ).all()
    return [wording.history_sentence(e) for e in _entries(events, booking.resource.site.tz)]


# The journal ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class JournalFilters:
    organisation_id: int | None = None
    resource_id: int | None = None
    actor_id: int | None = None
    since: datetime | None = None  # aware UTC, included
    until: datetime | None = None  # aware UTC, excluded
    page: int = 1


def journal_organisations(user: User) -> list[int] | None:
    """The organisations whose journal this person reads: None for all (the manager)."""
    if permissions.is_manager(user):
        return None
    return [m.organisation_id for m in user.memberships if m.role == "coordinator"]


def can_read_journal(user: User) -> bool:
    scope = journal_organisations(user)
    return scope is None or bool(scope)


def journal(user: User, filters: JournalFilters) -> tuple[list[tuple[Event, str]], bool]:
    """One page of the journal this person may read, newest first, and whether more follow."""
    query = db.select(Event).where(_not_an_occurrence_of_a_series_change())
    scope = journal_organisations(user)
    if scope is not None:
        query = query.where(Event.organisation_id.in_(scope))
    for column, value in (
        (Event.organisation_id, filters.organisation_id),
        (Event.resource_id, filters.resource_id),
        (Event.actor_id, filters.actor_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if filters.since is not None:
        query = query.where(Event.at >= filters.since)
    if filters.until is not None:
        query = query.where(Event.at < filters.until)
    query = _with_names(query).order_by(Event.at.desc(), Event.id.desc())
    offset = (filters.page - 1) * PAGE_SIZE
    events = db.session.scalars(query.offset(offset).limit(PAGE_SIZE + 1)).unique().all()
    shown = events[:PAGE_SIZE]
    lines = [wording.journal_sentence(e) for e in _entries(shown, site_tz())]
    return list(zip(shown, lines, strict=True)), len(events) > PAGE_SIZE


def journal_people(user: User) -> list[User]:
    """Whom the journal can be filtered on: the people of the organisations it covers."""
    query = db.select(User).order_by(User.name)
    scope = journal_organisations(user)
    if scope is not None:
        members = db.select(Membership.user_id).where(Membership.organisation_id.in_(scope))
        query = query.where(User.id.in_(members))
    return list(db.session.scalars(query))


def journal_resources() -> list[Resource]:
    return list(db.session.scalars(db.select(Resource).order_by(Resource.position, Resource.id)))


# Notices -------------------------------------------------------------------------------------


_LAST_SEEN = sa.select(NoticesSeen.at).where(NoticesSeen.user_id == sa.bindparam("user_id"))


def _last_seen(user: User) -> datetime | None:
    return db.session.scalar(_LAST_SEEN, {"user_id": user.id})


@functools.cache
def _notices_query() -> sa.Select:
    """The notices' statement, built once per process; its values are bound per request."""
    user_id = sa.bindparam("user_id")
    mine = sa.select(Booking.id).where(Booking.created_by_id == user_id)
    # An event about one person (subject "user": a freed time she waited for) is hers alone.
    not_personal = sa.or_(Event.subject_type.is_(None), Event.subject_type != "user")
    concerns = sa.or_(
        Event.kind.in_(BUILDING_KINDS),
        sa.and_(Event.organisation_id.in_(sa.bindparam("org_ids", expanding=True)), not_personal),
        Event.booking_id.in_(mine),
        sa.and_(Event.subject_type == "user", Event.subject_id == user_id),
    )
    query = sa.select(Event).where(
        Event.at > sa.bindparam("since", type_=Event.at.type),
        Event.at <= sa.bindparam("now", type_=Event.at.type),
        sa.or_(Event.actor_id.is_(None), Event.actor_id != user_id),
        Event.kind.not_in(QUIET_KINDS),
        _not_an_occurrence_of_a_series_change(),
        concerns,
    )
    return _with_names(query).order_by(Event.at.desc(), Event.id.desc()).limit(NOTICES_SHOWN)


def notices_for(user: User, now: datetime) -> list[str]:
    """What changed for this person and their organisations since their last visit.

    Changes made by someone else to the bookings of their organisations or to bookings
    they made, closures and permanence changes; their own changes are no news to them.
    """
    since = max(_last_seen(user) or now - NOTICES_REACH, now - NOTICES_REACH)
    values = {
        "user_id": user.id,
        "org_ids": [m.organisation_id for m in user.memberships],
        "since": since,
        "now": now,
    }
    events = db.session.scalars(_notices_query(), values).unique().all()
    return [wording.journal_sentence(e) for e in _entries(events, site_tz())]


# How old a "seen" stamp a page may send back: a tab left open for a day is still believed.
SEEN_REACH = timedelta(days=1)


def mark_seen(user: User, shown_at: datetime, now: datetime) -> bool:
    """Stamp what the person has seen: the notices shown at `shown_at` (the home page's
    `now`, so nothing that happened since is lost). The stamp only moves forward; a time
    in the future or more than a day old is refused (False)."""
    if not now - SEEN_REACH <= shown_at <= now:
        return False
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(NoticesSeen).values(user_id=user.id, at=shown_at)
    statement = statement.on_conflict_do_update(
        index_elements=[NoticesSeen.user_id],
        set_={"at": statement.excluded.at},
        where=NoticesSeen.at < statement.excluded.at,
    )
    with write_transaction(now=now):
        db.session.execute(statement)
    return True
