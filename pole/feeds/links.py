"""Secret links to calendar feeds: issue, revoke, and find the feed a link opens.

A secret link is `<selector>.<verifier>`: the selector finds the FeedToken row, the
verifier (192 bits from `secrets`) is kept only as its SHA-256 and compared in constant
time. Only a hash is stored, so a link is shown in full once, when it is made.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import has_request_context

from pole import permissions
from pole.auth.models import User
from pole.bookings.models import LONGEST_BOOKING
from pole.db import db, utcnow, write_transaction
from pole.events.states import record_feed_link
from pole.feeds import appointments, booking_rows, ratelimit, sources, versions
from pole.feeds.feed import APP_NAME, PUBLIC, Feed, ReadVersions, Window, current_window
from pole.feeds.models import FeedGeneration, FeedToken
from pole.organisations.models import Membership, Organisation
from pole.resources.models import Resource, Site

SELECTOR_BYTES = 12  # 16 characters: finds the row, not a secret
VERIFIER_BYTES = 24  # 192 bits: the secret part of the link
_NO_TOKEN_HASH = hashlib.sha256(b"no such feed").hexdigest()


def _hash(verifier: str) -> str:
    return hashlib.sha256(verifier.encode()).hexdigest()


def _subject_column(kind: str) -> so.InstrumentedAttribute:
    if kind in ("organisation", "member"):
        return FeedToken.organisation_id
    if kind == "resource":
        return FeedToken.resource_id
    if kind in ("personal", "social_worker"):
        return FeedToken.user_id
    raise ValueError(f"no secret link for a {kind!r} feed")


def active_tokens(
    kind: str, subject_ids: Sequence[int], holder_id: int | None = None
) -> dict[int, FeedToken]:
    """The live link of each subject of this kind that has one (for a member link: hers)."""
    column = _subject_column(kind)
    query = db.select(FeedToken).where(
        FeedToken.kind == kind, column.in_(list(subject_ids)), FeedToken.revoked_at.is_(None)
    )
    if kind == "member":
        query = query.where(FeedToken.user_id == holder_id)
    rows = db.session.scalars(query.order_by(FeedToken.created_at))
    return {getattr(row, column.key): row for row in rows}


def member_links(organisation_id: int) -> list[FeedToken]:
    """The members' own live links to this organisation's calendar, by name of their holder."""
    return list(
        db.session.scalars(
            db.select(FeedToken)
            .join(User, User.id == FeedToken.user_id)
            .where(
                FeedToken.kind == "member",
                FeedToken.organisation_id == organisation_id,
                FeedToken.revoked_at.is_(None),
            )
            .options(so.contains_eager(FeedToken.user))
            .order_by(User.name, FeedToken.id)
        )
    )


def issue_link(kind: str, subject_id: int, by: User, now: datetime | None = None) -> str:
    """Make a new secret link for this feed, revoking the one it replaces; return it in full.

    A member link is the maker's own: `by` holds it, and only her previous one is replaced.
    This is the only moment the link exists in clear: the database keeps its hash.
    """
    now = now or utcnow()
    column = _subject_column(kind)
    selector = secrets.token_urlsafe(SELECTOR_BYTES)
    verifier = secrets.token_urlsafe(VERIFIER_BYTES)
    holder = {"user_id": by.id} if kind == "member" else {}
    with write_transaction():
        _revoke(kind, column, subject_id, now, by, holder.get("user_id"))
        token = FeedToken(
            kind=kind,
            selector=selector,
            verifier_hash=_hash(verifier),
            created_by_id=by.id,
            created_at=now,
            **{column.key: subject_id},
            **holder,
        )
        db.session.add(token)
        db.session.flush()
        record_feed_link("feed_link.created", token, by, now)
    return f"{selector}.{verifier}"


def revoke_link(
    kind: str, subject_id: int, now: datetime | None = None, by: User | None = None
) -> int:
    """Stop this feed's link (for a member link: `by`'s own) from working; return how many."""
    holder_id = by.id if kind == "member" and by is not None else None
    with write_transaction():
        return _revoke(kind, _subject_column(kind), subject_id, now or utcnow(), by, holder_id)


def revoke_member_link(token: FeedToken, by: User, now: datetime | None = None) -> None:
    """Stop one member's own link from working (she, or her coordinator, revokes it)."""
    with write_transaction():
        if token.revoked_at is None:
            token.revoked_at = now or utcnow()
            record_feed_link("feed_link.revoked", token, by, token.revoked_at)


def _revoke(
    kind: str,
    column: so.InstrumentedAttribute,
    subject_id: int,
    now: datetime,
    by: User | None,
    holder_id: int | None = None,
) -> int:
    query = db.select(FeedToken).where(
        FeedToken.kind == kind, column == subject_id, FeedToken.revoked_at.is_(None)
    )
    if kind == "member":
        query = query.where(FeedToken.user_id == holder_id)
    rows = db.session.scalars(query).all()
    for row in rows:
        row.revoked_at = now
        record_feed_link("feed_link.revoked", row, by, now)
    return len(rows)


def selector_of(token: str) -> str:
    return token.partition(".")[0]


# Short names: psycopg parses a query longer than 4 kB again at every execution.
_Link = so.aliased(FeedToken, name="t")
_Owner = so.aliased(User, name="u")
_Organisation = so.aliased(Organisation, name="o")
_Resource = so.aliased(Resource, name="r")
_Member = so.aliased(Membership, name="m")
# Whose feed each kind of link opens: the kinds of link, the column its subject is in, and the
# kind of feed (whose booking scope the personal and social-worker feeds share).
_SUBJECTS = (
    (("organisation", "member"), _Link.organisation_id, "organisation"),
    (("resource",), _Link.resource_id, "resource"),
    (("personal", "social_worker"), _Link.user_id, "personal"),
)
_APPOINTMENT_SUBJECTS = (
    (("organisation", "member"), _Link.organisation_id, "organisation"),
    (("social_worker",), _Link.user_id, "social_worker"),
)


def _source_versions(dialect: str) -> tuple[sa.ColumnElement, sa.ColumnElement]:
    """The link's feed's booking version and appointment version (NULL if it shows none), each
    one packed value (pole.feeds.versions), read by the link's own query: a CASE on the kind
    runs the one aggregate that the link's feed needs. (Kept short: psycopg parses a query
    longer than 4 kB again at every execution.)"""

    def when(kinds: tuple[str, ...]) -> sa.ColumnElement[bool]:
        return _Link.kind.in_([sa.literal_column(f"'{kind}'") for kind in kinds])

    bookings = [
        (when(kinds), booking_rows.correlated_version(feed_kind, column, dialect))
        for kinds, column, feed_kind in _SUBJECTS
    ]
    appointments_ = [
        (when(kinds), appointments.correlated_version(feed_kind, column, dialect))
        for kinds, column, feed_kind in _APPOINTMENT_SUBJECTS
    ]
    return (
        sa.case(*bookings).label("booking_version"),
        sa.case(*appointments_).label("appointment_version"),
    )


def _find_link(dialect: str) -> sa.Select:
    """The link's row with what naming its feed needs, its feed generation and its sources'
    versions: one query (bound: "selector" and the window's, see `_window_parameters`)."""
    return (
        sa.select(
            _Link.kind,
            _Link.verifier_hash,
            _Link.revoked_at,
            _Link.organisation_id,
            _Link.resource_id,
            _Link.user_id,
            _Organisation.name,
            _Resource.name,
            _Owner.name,
            _Owner.is_active,
            _Owner.is_social_worker,
            # A member link lives only while its holder belongs to the organisation.
            sa.exists()
            .where(
                _Member.user_id == _Link.user_id,
                _Member.organisation_id == _Link.organisation_id,
            )
            .label("holder_is_member"),
            sa.func.coalesce(
                sa.select(FeedGeneration.value).scalar_subquery(), sa.literal_column("0")
            ).label("generation"),
            *_source_versions(dialect),
        )
        .outerjoin(_Organisation, _Organisation.id == _Link.organisation_id)
        .outerjoin(_Resource, _Resource.id == _Link.resource_id)
        .outerjoin(_Owner, _Owner.id == _Link.user_id)
        .where(_Link.selector == sa.bindparam("selector"))
    )


def _find_link_taking() -> sa.Select:
    """PostgreSQL: the same, and the link's request taken from its rate-limit bucket, in one
    statement (a data-modifying CTE; its RETURNING is NULL when no live link has this hash)."""
    taken = ratelimit.take_statement("postgresql").cte("taken")
    return (
        _find_link("postgresql")
        .add_columns(taken.c.tokens.label("tokens"), taken.c.granted.label("granted"))
        .outerjoin(taken, sa.true())
    )


# Built once: the same statement objects each time let SQLAlchemy reuse their compiled form.
_FIND_LINK = {"sqlite": _find_link("sqlite"), "postgresql": _find_link("postgresql")}
_FIND_LINK_TAKING = _find_link_taking()


def _window_parameters(window: Window) -> dict:
    return {
        "start": window.start,
        "earliest": window.start - LONGEST_BOOKING,
        "end": window.end,
        "cancelled_since": window.cancelled_since,
        "day": window.day,
    }


@dataclass(frozen=True)
class _Person:
    """Enough of a User for the permission checks on a feed's owner."""

    id: int
    name: str
    is_active: bool
    is_social_worker: bool
    is_authenticated: bool = True


def feed_for_token(token: str) -> Feed | None:
    """The feed a secret link opens; None when it is unknown, malformed or revoked."""
    return open_link(token, None)[0]


@contextmanager
def opened(token: str, rate: tuple[int, int] | None) -> Iterator[tuple[Feed | None, int]]:
    """`open_link`, with the block's reads in the take's transaction.

    On SQLite the take is a write (BEGIN IMMEDIATE): the link and what the block reads (the
    feed's version) come in that transaction too, which commits when the block ends; one
    transaction instead of two, and the write lock held for a few index reads more, never
    for a build (do that after the block). On PostgreSQL the take is in the link's statement,
    a transaction of its own (`ratelimit.take_with_link`).
    """
    if rate is not None and db.engine.dialect.name == "sqlite":
        with write_transaction():
            yield open_link(token, rate)
    else:
        yield open_link(token, rate)


def open_link(token: str, rate: tuple[int, int] | None) -> tuple[Feed | None, int]:
    """The feed a secret link opens (None when it is unknown, malformed or revoked), and 0 if
    it may be served now, else whole seconds to wait: its request is taken from its bucket
    (pole.feeds.ratelimit) when `rate` (requests, seconds) is given.

    On PostgreSQL the link, the feed generation and the take are one statement, a CTE (one
    round trip, its own transaction: `ratelimit.take_with_link`). On SQLite the take is a
    short write transaction (see `opened`), before the read.
    """
    selector, dot, verifier = token.partition(".")
    verifier_hash = _hash(verifier)
    row = taken = None
    window = current_window()
    if dot and 0 < len(selector) <= 24 and verifier:
        parameters = {"selector": selector}
        if rate is not None:
            parameters = ratelimit.parameters(selector, *rate)
            parameters["verifier_hash"] = verifier_hash
        parameters.update(_window_parameters(window))
        dialect = db.engine.dialect.name
        if rate is not None and dialect == "postgresql" and has_request_context():
            row = ratelimit.take_with_link(_FIND_LINK_TAKING, parameters)
            taken = None if row is None or row.granted is None else (row.tokens, row.granted)
        else:
            if rate is not None:
                taken = ratelimit.take_for_link(parameters)
            statement = _FIND_LINK[dialect]
            connection = db.session.connection(bind_arguments={"clause": statement})
            row = connection.execute(statement, parameters).one_or_none()
    # Compare even when no row matched, so that timing tells nothing about selectors.
    genuine = hmac.compare_digest(
        verifier_hash, row.verifier_hash if row is not None else _NO_TOKEN_HASH
    )
    if row is None or not genuine or row.revoked_at is not None:
        return None, 0
    feed = _feed_of(row, window)
    if feed is None or taken is None:
        return feed, 0
    return feed, ratelimit.wait_of(*taken, parameters)


def _feed_of(row: sa.Row, window: Window) -> Feed | None:
    """The feed a live link's row opens; None when its holder or owner no longer may."""
    kind, organisation_name, resource_name = row.kind, row[6], row[7]
    if kind == "member" and not (row.holder_is_member and row[9]):
        return None  # she left the organisation, or her account was closed
    if kind == "organisation" or kind == "member":
        feed = Feed("organisation", row.organisation_id, f"{organisation_name} · {APP_NAME}")
    elif kind == "resource":
        feed = Feed(kind, row.resource_id, f"{resource_name} · {APP_NAME}")
    else:
        owner = _Person(row.user_id, row[8], row[9], row[10])
        if kind == "personal" and permissions.can_manage_personal_feed(owner, owner):
            feed = Feed(kind, owner.id, personal_feed_name(owner))
        elif kind == "social_worker" and permissions.can_manage_social_worker_feed(owner, owner):
            feed = Feed(kind, owner.id, social_worker_feed_name(owner))
        else:
            return None  # the person left or lost the role: the link dies with it
    return Feed(feed.kind, feed.subject_id, feed.name, row.generation, _read(feed, row, window))


def _read(feed: Feed, row: sa.Row, window: Window) -> ReadVersions:
    """The versions of the feed's sources that the link's query read, as cache.stamp reads them."""
    names, last_change = [], window.day
    for source in sources.EVENT_SOURCES[feed.kind]:
        packed = row.appointment_version if source.name == "appointments" else row.booking_version
        version, changed = versions.unpacked(packed)
        names.append((source.name, version))
        if changed is not None and changed > last_change:
            last_change = changed
    return ReadVersions(window, tuple(names), last_change)


def public_feed(site: Site | None) -> Feed:
    """The public agenda of one site (its subject is the site)."""
    where = site.name if site is not None else APP_NAME
    return Feed(PUBLIC, site.id if site is not None else None, f"Agenda public · {where}")


def personal_feed_name(user: User | _Person) -> str:
    return f"Mes réservations ({user.name}) · {APP_NAME}"


def social_worker_feed_name(user: User | _Person) -> str:
    return f"Permanences et rendez-vous ({user.name}) · {APP_NAME}"
