"""Which bookings a feed holds: each kind's scope, and the two queries that read them.

Each kind of feed has a BookingScope (whose bookings, which statuses, whose private titles it
may show); its rows are loaded in one query (an index range bounded on both sides) and its
version is one aggregate, so that an unchanged feed is answered from the cache.
pole.feeds.bookings writes them.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa

from pole.auth.models import User
from pole.bookings.models import ACTIVE_STATUSES, LONGEST_BOOKING, Booking
from pole.core.stored_time import as_utc, stored_utc
from pole.db import db
from pole.feeds import versions
from pole.feeds.feed import PUBLIC, Feed, Window
from pole.organisations.models import Membership, Organisation
from pole.resources.models import Resource, Site

ENDED_STATUSES = ("cancelled", "rejected")


class BookingRow(NamedTuple):
    """What a feed needs of a booking, loaded with its organisation, resource and site."""

    id: int
    title: str
    description: str
    is_public: bool
    start: datetime
    end: datetime
    status: str
    sequence: int
    created_at: datetime
    updated_at: datetime
    organisation_id: int
    organisation_name: str
    organisation_short_name: str
    resource_name: str
    site_name: str
    site_address: str
    timezone: str

    @classmethod
    def of(cls, booking: Booking) -> BookingRow:
        site = booking.resource.site
        return cls(
            booking.id,
            booking.title,
            booking.description,
            booking.is_public,
            booking.start,
            booking.end,
            booking.status,
            booking.sequence,
            booking.created_at,
            booking.updated_at,
            booking.organisation_id,
            booking.organisation.name,
            booking.organisation.short_name,
            booking.resource.name,
            site.name,
            site.address,
            site.timezone,
        )


# A booking's own values, then its association's and room's ids: 12 columns. The texts of
# the association, the room and its site (6 more) are read once per feed (`_NAMES`): a year of
# the hall's feed holds five associations and one room, and the same texts on each of its 528
# rows took a third of their reading (bench/README.md, session 31).
_ROW_COLUMNS = (
    Booking.id,
    Booking.title,
    Booking.description,
    Booking.is_public,
    stored_utc(Booking.start),
    stored_utc(Booking.end),
    Booking.status,
    Booking.sequence,
    stored_utc(Booking.created_at),
    stored_utc(Booking.updated_at),
    Booking.organisation_id,
    Booking.resource_id,
)
_ORGANISATION, _RESOURCE = 10, 11  # where the rows hold the two ids

_NO_TEXT = sa.cast(sa.null(), sa.String)
# (0, organisation id, name, short name) and (1, resource id, room, site, address, zone) of
# the ids the rows hold: one statement, one round trip.
_NAMES = sa.union_all(
    sa.select(
        sa.literal_column("0", sa.Integer),
        Organisation.id,
        Organisation.name,
        Organisation.short_name,
        _NO_TEXT,
        _NO_TEXT,
    ).where(Organisation.id.in_(sa.bindparam("organisations", expanding=True))),
    sa.select(
        sa.literal_column("1", sa.Integer),
        Resource.id,
        Resource.name,
        Site.name,
        Site.address,
        Site.timezone,
    )
    .join(Site, Site.id == Resource.site_id)
    .where(Resource.id.in_(sa.bindparam("resources", expanding=True))),
)


@dataclass(frozen=True)
class BookingScope:
    """Which bookings a kind of feed holds and how much of each it may tell.

    `where` compares with the bound parameter "subject" (the feed's subject id).
    `insiders`: organisations whose private titles the feed shows (None: every booking in
    scope is the reader's own). `with_organisation`: add the organisation to titles, for
    feeds that mix organisations.
    """

    where: tuple
    statuses: tuple[str, ...]
    insiders: frozenset[int] | None
    with_organisation: bool
    with_links: bool


SUBJECT = sa.bindparam("subject", type_=sa.Integer)
EVERY_STATUS = ("pending", "confirmed", "cancelled", "rejected")


def _my_organisations() -> sa.ColumnElement[bool]:
    """The booking is for one of the subject person's organisations (any, for a manager)."""
    return sa.or_(
        Booking.organisation_id.in_(
            sa.select(Membership.organisation_id).where(Membership.user_id == SUBJECT)
        ),
        sa.exists().where(User.id == SUBJECT, User.is_manager),
    )


BOOKING_SCOPES = {
    "organisation": BookingScope(
        (Booking.organisation_id == SUBJECT,), EVERY_STATUS, None, False, True
    ),
    # The feed may hang on a screen at the door: nobody is an insider.
    "resource": BookingScope(
        (Booking.resource_id == SUBJECT,), EVERY_STATUS, frozenset(), True, True
    ),
    "personal": BookingScope(
        (Booking.created_by_id == SUBJECT, _my_organisations()), EVERY_STATUS, None, True, True
    ),
    # Requests not yet approved are not announced to the public.
    PUBLIC: BookingScope(
        (
            Booking.is_public.is_(True),
            Booking.resource_id.in_(sa.select(Resource.id).where(Resource.site_id == SUBJECT)),
        ),
        ("confirmed", "cancelled"),
        None,
        True,
        False,
    ),
}
BOOKING_SCOPES["social_worker"] = BOOKING_SCOPES["personal"]


def booking_scope(feed: Feed) -> BookingScope:
    try:
        return BOOKING_SCOPES[feed.kind]
    except KeyError:
        raise ValueError(f"unknown feed kind {feed.kind!r}") from None


def _one_of(column: sa.ColumnElement, values: list[str]) -> sa.ColumnElement[bool]:
    """`column IN (...)` of constants written into the statement once: an IN of bound values
    is an expanding parameter, which SQLAlchemy renders again at every execution (the
    largest Python item in a 304's profile)."""
    return column.in_([sa.literal_column(f"'{value}'", sa.String) for value in values])


def _in_window(scope: BookingScope) -> sa.ColumnElement[bool]:
    """Shown now: overlaps the window, and if cancelled or refused, recently (bound parameters
    "start", "end", "earliest" and "cancelled_since")."""
    active = [s for s in scope.statuses if s in ACTIVE_STATUSES]
    ended = [s for s in scope.statuses if s in ENDED_STATUSES]
    return sa.and_(
        Booking.overlapping(
            sa.bindparam("start", type_=Booking.end.type),
            sa.bindparam("end", type_=Booking.start.type),
        ),
        # The lower bound of the index range: nothing longer than LONGEST_BOOKING exists.
        Booking.start >= sa.bindparam("earliest", type_=Booking.start.type),
        sa.or_(
            _one_of(Booking.status, active),
            sa.and_(
                _one_of(Booking.status, ended),
                Booking.updated_at
                >= sa.bindparam("cancelled_since", type_=Booking.updated_at.type),
            ),
        ),
    )


def _load_statement(scope: BookingScope) -> sa.Select:
    return (
        sa.select(*_ROW_COLUMNS)
        .where(*scope.where, _in_window(scope))
        .order_by(Booking.start, Booking.id)
    )


def _version_statement(scope: BookingScope, packed: str | None = None) -> sa.Select:
    aggregates = (
        sa.func.count(Booking.id),
        sa.func.max(Booking.updated_at),
        sa.func.coalesce(sa.func.sum(Booking.sequence), sa.literal_column("0")),
        sa.func.max(Booking.id),
    )
    columns = aggregates if packed is None else (versions.packed(packed, *aggregates),)
    return sa.select(*columns).where(
        *scope.where,
        sa.or_(
            _in_window(scope),
            Booking.updated_at >= sa.bindparam("day", type_=Booking.updated_at.type),
        ),
    )


# Built once: the same statement objects each time let SQLAlchemy reuse their compiled form.
_LOAD = {kind: _load_statement(scope) for kind, scope in BOOKING_SCOPES.items()}
_VERSION = {kind: _version_statement(scope) for kind, scope in BOOKING_SCOPES.items()}


def _parameters(feed: Feed, window: Window) -> dict:
    return {
        "subject": feed.subject_id,
        "start": window.start,
        "earliest": window.start - LONGEST_BOOKING,
        "end": window.end,
        "cancelled_since": window.cancelled_since,
        "day": window.day,
    }


def load_booking_rows(feed: Feed, window: Window) -> list[BookingRow]:
    """The feed's bookings in the window, with their organisation, resource and site: one query."""
    return [BookingRow(*booking_tuple(row)) for row in raw_booking_rows(feed, window)]


def raw_booking_rows(feed: Feed, window: Window) -> list[tuple]:
    """load_booking_rows' rows as plain tuples in BookingRow's order, instants as the driver
    gives them (`stored_utc`): `booking_tuple` reads one. The feeds' writer keys what it wrote
    by these tuples, and only reads the instants of a row it has not written yet."""
    statement = _LOAD[feed.kind]
    # Through the connection: rows as the driver gives them, without the ORM's loading layer
    # (the session still picks the connection: a replica for a feed request, if set).
    connection = db.session.connection(bind_arguments={"clause": statement})
    rows = connection.execute(statement, _parameters(feed, window)).all()
    if not rows:
        return []
    organisations: dict[int, tuple] = {}
    places: dict[int, tuple] = {}
    ids = {
        "organisations": list({row[_ORGANISATION] for row in rows}),
        "resources": list({row[_RESOURCE] for row in rows}),
    }
    for is_place, key, *texts in connection.execute(_NAMES, ids):
        if is_place:
            places[key] = tuple(texts)
        else:
            organisations[key] = tuple(texts[:2])
    try:
        return [(*row[:10], row[10], *organisations[row[10]], *places[row[11]]) for row in rows]
    except KeyError:
        # A room or an association gone between the two statements (with its bookings: the
        # foreign keys keep it otherwise): its bookings are gone from the feed too.
        return [
            (*row[:10], row[10], *organisations[row[10]], *places[row[11]])
            for row in rows
            if row[10] in organisations and row[11] in places
        ]


def booking_tuple(row: Sequence) -> tuple:
    """A raw row's values, its instants aware in UTC (a plain tuple: no BookingRow to build
    for each of a year's bookings)."""
    return (
        *row[:4],
        as_utc(row[4]),
        as_utc(row[5]),
        *row[6:8],
        as_utc(row[8]),
        as_utc(row[9]),
        *row[10:],
    )


def correlated_version(kind: str, subject: sa.ColumnElement, dialect: str) -> sa.ScalarSelect:
    """booking_version's aggregate as one value (pole.feeds.versions), for the feed of this kind
    whose subject is `subject`, a column of the enclosing query (the feed link's)."""
    statement = versions.with_subject(_version_statement(BOOKING_SCOPES[kind], dialect), subject)
    tables = (Booking.__table__, "b"), (Membership.__table__, "m"), (User.__table__, "u")
    return versions.shortened(statement, *tables).scalar_subquery()


def booking_version(feed: Feed, window: Window) -> tuple[Hashable, datetime | None]:
    """Changes whenever a booking of the feed does: its rows in the window, and those changed
    today even if they left it (moved far ahead). Also returns the last change."""
    statement = _VERSION[feed.kind]
    connection = db.session.connection(bind_arguments={"clause": statement})
    count, last, sequences, highest = connection.execute(statement, _parameters(feed, window)).one()
    return (count, last, int(sequences), highest), last
