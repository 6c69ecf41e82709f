"""Calendar feeds: their secret links, who may use them, and the events each one carries.

A feed is a kind and a subject: an organisation, a resource, a person (personal and
social-worker feeds), or nothing for the public agenda. What a feed shows comes from its
*event sources* (EVENT_SOURCES): each loads its rows in one query and turns them into
`ical.Event` values; pole.feeds.ical writes the bytes. Permanence appointments are one more
source of the social-worker and organisation feeds (pole.permanences.services loads them,
without the beneficiary reference or the note).

A secret link is `<selector>.<verifier>`: the selector finds the FeedToken row, the
verifier (192 bits from `secrets`) is kept only as its SHA-256 and compared in constant
time. Only a hash is stored, so a link is shown in full once, when it is made.

Building a year of a room takes a few milliseconds, but a calendar app asks every hour
whether anything changed. Each source also gives a cheap *version* (a count and the last
change of its rows, one aggregate query); built feeds are kept in this process by version,
so an unchanged feed is answered from memory. Rows only change through the booking and
permanence services, which bump `sequence` and `updated_at`; renaming a room or an
organisation shows once the cached copy expires (POLE_FEED_CACHE_SECONDS).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, url_for
from werkzeug.routing import BuildError

from pole import permissions
from pole.auth.models import User
from pole.bookings.models import ACTIVE_STATUSES, STATUS_LABELS, Booking
from pole.db import db, utcnow, write_transaction
from pole.feeds import ical
from pole.feeds.models import FEED_KINDS, FeedToken
from pole.organisations.models import Membership, Organisation
from pole.permanences import services as permanences
from pole.permanences.rules import APPOINTMENT_STATUS_LABELS
from pole.resources.models import Resource, Site

PUBLIC = "public"
SELECTOR_BYTES = 12  # 16 characters: finds the row, not a secret
VERIFIER_BYTES = 24  # 192 bits: the secret part of the link
APP_NAME = "Pôle"
# Feeds of different kinds get different UIDs for the same booking, so that a client holding
# two of them (or the single-event download) never merges a private title into another copy.
UID_NAMESPACE = uuid.UUID("0b6f5d3e-8a4c-5b8e-9c61-2f1d7a0c4e19")
ENDED_STATUSES = ("cancelled", "rejected")
ICAL_STATUS = {
    "confirmed": "CONFIRMED",
    "pending": "TENTATIVE",
    "cancelled": "CANCELLED",
    "rejected": "CANCELLED",
}
# Some clients ignore STATUS (Google shows a TENTATIVE event like any other, Outlook keeps a
# CANCELLED one in place), so the title says it too.
SUMMARY_PREFIX = {"pending": "À confirmer : ", "cancelled": "Annulé : ", "rejected": "Annulé : "}
_NO_TOKEN_HASH = hashlib.sha256(b"no such feed").hexdigest()


@dataclass(frozen=True)
class Feed:
    """One calendar: a kind, its subject's id (None for the public agenda) and its name."""

    kind: str
    subject_id: int | None
    name: str


@dataclass(frozen=True)
class Window:
    """What a feed shows: occurrences overlapping [start, end), and those cancelled or
    refused since `cancelled_since`. It moves once a day (at 00:00 UTC) so that a feed stays
    byte-identical, and keeps its ETag, between two changes of its bookings."""

    day: datetime
    start: datetime
    end: datetime
    cancelled_since: datetime


def window_at(
    now: datetime, past_days: int = 30, future_days: int = 365, cancelled_days: int = 30
) -> Window:
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return Window(
        day=day,
        start=day - timedelta(days=past_days),
        end=day + timedelta(days=future_days),
        cancelled_since=day - timedelta(days=cancelled_days),
    )


def current_window(now: datetime | None = None) -> Window:
    config = current_app.config
    return window_at(
        now or utcnow(),
        config["POLE_FEED_PAST_DAYS"],
        config["POLE_FEED_FUTURE_DAYS"],
        config["POLE_FEED_CANCELLED_DAYS"],
    )


# Secret links ----------------------------------------------------------------------------------


def _hash(verifier: str) -> str:
    return hashlib.sha256(verifier.encode()).hexdigest()


def _subject_column(kind: str) -> so.InstrumentedAttribute:
    if kind == "organisation":
        return FeedToken.organisation_id
    if kind == "resource":
        return FeedToken.resource_id
    if kind in ("personal", "social_worker"):
        return FeedToken.user_id
    raise ValueError(f"no secret link for a {kind!r} feed")


def active_tokens(kind: str, subject_ids: Sequence[int]) -> dict[int, FeedToken]:
    """The live link of each subject of this kind that has one."""
    column = _subject_column(kind)
    rows = db.session.scalars(
        db.select(FeedToken)
        .where(
            FeedToken.kind == kind, column.in_(list(subject_ids)), FeedToken.revoked_at.is_(None)
        )
        .order_by(FeedToken.created_at)
    )
    return {getattr(row, column.key): row for row in rows}


def issue_link(kind: str, subject_id: int, by: User, now: datetime | None = None) -> str:
    """Make a new secret link for this feed, revoking the one it replaces; return it in full.

    This is the only moment the link exists in clear: the database keeps its hash.
    """
    now = now or utcnow()
    column = _subject_column(kind)
    selector = secrets.token_urlsafe(SELECTOR_BYTES)
    verifier = secrets.token_urlsafe(VERIFIER_BYTES)
    with write_transaction():
        _revoke(kind, column, subject_id, now)
        db.session.add(
            FeedToken(
                kind=kind,
                selector=selector,
                verifier_hash=_hash(verifier),
                created_by_id=by.id,
                created_at=now,
                **{column.key: subject_id},
            )
        )
    return f"{selector}.{verifier}"


def revoke_link(kind: str, subject_id: int, now: datetime | None = None) -> int:
    """Stop this feed's link from working; return how many links were revoked."""
    with write_transaction():
        return _revoke(kind, _subject_column(kind), subject_id, now or utcnow())


def _revoke(kind: str, column: so.InstrumentedAttribute, subject_id: int, now: datetime) -> int:
    rows = db.session.scalars(
        db.select(FeedToken).where(
            FeedToken.kind == kind, column == subject_id, FeedToken.revoked_at.is_(None)
        )
    ).all()
    for row in rows:
        row.revoked_at = now
    return len(rows)


def selector_of(token: str) -> str:
    return token.partition(".")[0]


_Owner = so.aliased(User)
# The link's row with what naming its feed needs: one query, prepared once.
_FIND_LINK = (
    sa.select(
        FeedToken.kind,
        FeedToken.verifier_hash,
        FeedToken.revoked_at,
        FeedToken.organisation_id,
        FeedToken.resource_id,
        FeedToken.user_id,
        Organisation.name,
        Resource.name,
        _Owner.name,
        _Owner.is_active,
        _Owner.is_social_worker,
    )
    .outerjoin(Organisation, Organisation.id == FeedToken.organisation_id)
    .outerjoin(Resource, Resource.id == FeedToken.resource_id)
    .outerjoin(_Owner, _Owner.id == FeedToken.user_id)
    .where(FeedToken.selector == sa.bindparam("selector"))
)


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
    selector, dot, verifier = token.partition(".")
    row = None
    if dot and 0 < len(selector) <= 24 and verifier:
        row = db.session.execute(_FIND_LINK, {"selector": selector}).one_or_none()
    # Compare even when no row matched, so that timing tells nothing about selectors.
    genuine = hmac.compare_digest(
        _hash(verifier), row.verifier_hash if row is not None else _NO_TOKEN_HASH
    )
    if row is None or not genuine or row.revoked_at is not None:
        return None
    kind, organisation_name, resource_name = row.kind, row[6], row[7]
    if kind == "organisation":
        return Feed(kind, row.organisation_id, f"{organisation_name} · {APP_NAME}")
    if kind == "resource":
        return Feed(kind, row.resource_id, f"{resource_name} · {APP_NAME}")
    owner = _Person(row.user_id, row[8], row[9], row[10])
    if kind == "personal" and permissions.can_manage_personal_feed(owner, owner):
        return Feed(kind, owner.id, personal_feed_name(owner))
    if kind == "social_worker" and permissions.can_manage_social_worker_feed(owner, owner):
        return Feed(kind, owner.id, social_worker_feed_name(owner))
    return None  # the person left or lost the role: the link dies with it


def public_feed() -> Feed:
    site = db.session.scalar(db.select(Site).order_by(Site.id).limit(1))
    where = site.name if site is not None else APP_NAME
    return Feed(PUBLIC, None, f"Agenda public · {where}")


def personal_feed_name(user: User | _Person) -> str:
    return f"Mes réservations ({user.name}) · {APP_NAME}"


def social_worker_feed_name(user: User | _Person) -> str:
    return f"Permanences et rendez-vous ({user.name}) · {APP_NAME}"


# Which feeds a person may use ---------------------------------------------------------------


@dataclass(frozen=True)
class FeedEntry:
    """A feed as the "Mes agendas" page lists it for one person."""

    kind: str
    subject_id: int
    title: str
    shows: str
    can_manage: bool
    token: FeedToken | None


def feeds_for(user: User) -> list[FeedEntry]:
    """Every feed this person may subscribe to, with its live link if one exists."""
    entries: list[FeedEntry] = []
    personal = active_tokens("personal", [user.id])
    entries.append(
        FeedEntry(
            "personal",
            user.id,
            "Mes réservations",
            "Ce que j'ai réservé, pour chacune de mes organisations.",
            permissions.can_manage_personal_feed(user, user),
            personal.get(user.id),
        )
    )
    if permissions.can_manage_social_worker_feed(user, user):
        mine = active_tokens("social_worker", [user.id])
        entries.append(
            FeedEntry(
                "social_worker",
                user.id,
                "Mes permanences et rendez-vous",
                "Mes permanences et les rendez-vous pris (objet et association, jamais "
                "l'identité des personnes reçues).",
                True,
                mine.get(user.id),
            )
        )
    if permissions.is_manager(user):
        organisations = list(
            db.session.scalars(db.select(Organisation).order_by(Organisation.name))
        )
    else:
        organisations = user.organisations()
    tokens = active_tokens("organisation", [o.id for o in organisations])
    for organisation in organisations:
        if permissions.can_use_organisation_feed(user, organisation):
            entries.append(
                FeedEntry(
                    "organisation",
                    organisation.id,
                    organisation.name,
                    "Toutes les réservations de l'association, confirmées et en attente, et les "
                    "rendez-vous qu'elle a pris aux permanences.",
                    permissions.can_manage_organisation_feed(user, organisation),
                    tokens.get(organisation.id),
                )
            )
    if permissions.is_manager(user):
        resources = list(
            db.session.scalars(
                db.select(Resource)
                .where(Resource.is_active)
                .order_by(Resource.position, Resource.id)
            )
        )
        tokens = active_tokens("resource", [r.id for r in resources])
        for resource in resources:
            entries.append(
                FeedEntry(
                    "resource",
                    resource.id,
                    resource.name,
                    "Tout ce qui est réservé ici, pour la gestion et l'écran à la porte : "
                    "les réservations privées des organisations y sont « Réservé — … ».",
                    permissions.can_manage_resource_feed(user, resource),
                    tokens.get(resource.id),
                )
            )
    return entries


def can_manage(user: User, kind: str, subject_id: int) -> bool | None:
    """Whether `user` may make or revoke this feed's link; None when the subject is unknown."""
    if kind == "organisation":
        organisation = db.session.get(Organisation, subject_id)
        if organisation is None:
            return None
        return permissions.can_manage_organisation_feed(user, organisation)
    if kind == "resource":
        resource = db.session.get(Resource, subject_id)
        return None if resource is None else permissions.can_manage_resource_feed(user, resource)
    if kind in ("personal", "social_worker"):
        owner = db.session.get(User, subject_id)
        if owner is None:
            return None
        if kind == "personal":
            return permissions.can_manage_personal_feed(user, owner)
        return permissions.can_manage_social_worker_feed(user, owner)
    return None


# Events: bookings -------------------------------------------------------------------------------


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


_ROW_COLUMNS = (
    Booking.id,
    Booking.title,
    Booking.description,
    Booking.is_public,
    Booking.start,
    Booking.end,
    Booking.status,
    Booking.sequence,
    Booking.created_at,
    Booking.updated_at,
    Booking.organisation_id,
    Organisation.name,
    Organisation.short_name,
    Resource.name,
    Site.name,
    Site.address,
    Site.timezone,
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
        (Booking.is_public.is_(True),), ("confirmed", "cancelled"), None, True, False
    ),
}
BOOKING_SCOPES["social_worker"] = BOOKING_SCOPES["personal"]


def booking_scope(feed: Feed) -> BookingScope:
    try:
        return BOOKING_SCOPES[feed.kind]
    except KeyError:
        raise ValueError(f"unknown feed kind {feed.kind!r}") from None


def _in_window(scope: BookingScope) -> sa.ColumnElement[bool]:
    """Shown now: overlaps the window, and if cancelled or refused, recently (bound parameters
    "start", "end" and "cancelled_since")."""
    active = [s for s in scope.statuses if s in ACTIVE_STATUSES]
    ended = [s for s in scope.statuses if s in ENDED_STATUSES]
    return sa.and_(
        Booking.end > sa.bindparam("start", type_=Booking.end.type),
        Booking.start < sa.bindparam("end", type_=Booking.start.type),
        sa.or_(
            Booking.status.in_(active),
            sa.and_(
                Booking.status.in_(ended),
                Booking.updated_at
                >= sa.bindparam("cancelled_since", type_=Booking.updated_at.type),
            ),
        ),
    )


def _load_statement(scope: BookingScope) -> sa.Select:
    return (
        sa.select(*_ROW_COLUMNS)
        .join(Organisation, Organisation.id == Booking.organisation_id)
        .join(Resource, Resource.id == Booking.resource_id)
        .join(Site, Site.id == Resource.site_id)
        .where(*scope.where, _in_window(scope))
        .order_by(Booking.start, Booking.id)
    )


def _version_statement(scope: BookingScope) -> sa.Select:
    return sa.select(
        sa.func.count(Booking.id),
        sa.func.max(Booking.updated_at),
        sa.func.coalesce(sa.func.sum(Booking.sequence), 0),
        sa.func.max(Booking.id),
    ).where(
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
        "end": window.end,
        "cancelled_since": window.cancelled_since,
        "day": window.day,
    }


def load_booking_rows(feed: Feed, window: Window) -> list[BookingRow]:
    """The feed's bookings in the window, with their organisation, resource and site: one query."""
    rows = db.session.execute(_LOAD[feed.kind], _parameters(feed, window))
    return [BookingRow(*row) for row in rows]


def booking_version(feed: Feed, window: Window) -> tuple[Hashable, datetime | None]:
    """Changes whenever a booking of the feed does: its rows in the window, and those changed
    today even if they left it (moved far ahead). Also returns the last change."""
    count, last, sequences, highest = db.session.execute(
        _VERSION[feed.kind], _parameters(feed, window)
    ).one()
    return (count, last, int(sequences), highest), last


def place(room: str, site: str, address: str) -> str:
    """LOCATION: the room, then the site and its address."""
    return f"{room} — {site}, {address}" if address else f"{room} — {site}"


@lru_cache(maxsize=100_000)
def booking_uid(kind: str, booking_id: int, created_at: datetime) -> str:
    """A UID that never changes for this booking in this kind of feed (RFC 7986: a UUID).

    Its creation time is part of the name, so two installations never share UIDs."""
    created = created_at.astimezone(UTC).isoformat()
    return str(uuid.uuid5(UID_NAMESPACE, f"{kind}/booking/{booking_id}/{created}"))


def booking_summary(row: BookingRow, scope: BookingScope) -> str:
    """The title a feed shows; like services.booking_label, a private title stays in its
    organisation: elsewhere it reads "Réservé — <organisation>"."""
    visible = row.is_public or scope.insiders is None or row.organisation_id in scope.insiders
    if not visible:
        title = f"Réservé — {row.organisation_name}"
    elif scope.with_organisation:
        title = f"{row.title} ({row.organisation_short_name})"
    else:
        title = row.title
    return SUMMARY_PREFIX.get(row.status, "") + title


def booking_event(
    row: BookingRow, scope: BookingScope, uid_kind: str, link: Callable[[int], str] | None
) -> ical.Event:
    """A booking as a calendar event, telling only what this feed may tell of it."""
    visible = row.is_public or scope.insiders is None or row.organisation_id in scope.insiders
    lines = [row.organisation_name]
    if row.status != "confirmed":
        lines.append(f"Statut : {STATUS_LABELS[row.status]}")
    if visible and row.description:
        lines.append(row.description)
    url = link(row.id) if link is not None and scope.with_links else ""
    if url:
        lines.append(url)
    return ical.Event(
        uid=booking_uid(uid_kind, row.id, row.created_at),
        start=row.start,
        end=row.end,
        tz=ZoneInfo(row.timezone),
        summary=booking_summary(row, scope),
        status=ICAL_STATUS[row.status],
        sequence=row.sequence,
        last_modified=row.updated_at,
        created=row.created_at,
        location=place(row.resource_name, row.site_name, row.site_address),
        description="\n".join(lines),
        url=url,
        categories=(row.organisation_short_name,),
    )


def booking_events(
    feed: Feed, window: Window, link: Callable[[int], str] | None
) -> list[ical.Event]:
    """The feed's bookings in its window, as events."""
    scope = booking_scope(feed)
    return [booking_event(r, scope, feed.kind, link) for r in load_booking_rows(feed, window)]


def bookings_made_by_social_worker(
    feed: Feed, window: Window, link: Callable[[int], str] | None
) -> list[ical.Event]:
    """What the social worker booked herself as CCAS staff, her permanences' rooms included."""
    return booking_events(feed, window, link)


# Events: permanence appointments ----------------------------------------------------------------

# Whose appointments a feed holds: those in the social worker's permanences, or those the
# association booked. The beneficiary reference and the note are never loaded.
APPOINTMENT_SUBJECTS = {"social_worker": "social_worker_id", "organisation": "organisation_id"}


def _appointment_filter(feed: Feed, window: Window) -> dict:
    try:
        subject = APPOINTMENT_SUBJECTS[feed.kind]
    except KeyError:
        raise ValueError(f"no appointments in a {feed.kind!r} feed") from None
    return {subject: feed.subject_id, "cancelled_since": window.cancelled_since}


def appointment_version(feed: Feed, window: Window) -> tuple[Hashable, datetime | None]:
    """Changes whenever an appointment of the feed does, as booking_version for bookings."""
    version = permanences.appointments_feed_version(
        window.start, window.end, changed_since=window.day, **_appointment_filter(feed, window)
    )
    return tuple(version), version.last_change


@lru_cache(maxsize=100_000)
def appointment_uid(kind: str, appointment_uid: str, created_at: datetime) -> str:
    """A UID that never changes for this appointment in this kind of feed, unlike any booking's.

    The social worker's copy and the association's copy differ, as for bookings."""
    created = created_at.astimezone(UTC).isoformat()
    return str(uuid.uuid5(UID_NAMESPACE, f"{kind}/{appointment_uid}/{created}"))


def appointment_summary(kind: str, appointment: permanences.FeedAppointment) -> str:
    """The social worker reads "Rendez-vous CCAS — Logement (Restos du cœur)", the association
    "Rendez-vous avec l'assistante sociale — Logement"; a cancelled one says so first."""
    if kind == "social_worker":
        title = (
            f"Rendez-vous {appointment.ccas_short_name} — {appointment.purpose_label} "
            f"({appointment.association_name})"
        )
    else:
        title = f"Rendez-vous avec l'assistante sociale — {appointment.purpose_label}"
    return (SUMMARY_PREFIX["cancelled"] if appointment.is_cancelled else "") + title


def appointment_event(kind: str, appointment: permanences.FeedAppointment) -> ical.Event:
    """An appointment as a calendar event: its purpose and association, never who is received.

    Whether the person came (seen, no-show) is the social worker's to read, not the
    association's: its own screens only say whether an appointment is cancelled."""
    lines = [appointment.association_name, appointment.permanence_title]
    lines.append(f"Objet : {appointment.purpose_label}")
    if appointment.status != "booked" and (kind == "social_worker" or appointment.is_cancelled):
        lines.append(f"Statut : {APPOINTMENT_STATUS_LABELS[appointment.status]}")
    return ical.Event(
        uid=appointment_uid(kind, appointment.uid, appointment.created_at),
        start=appointment.start,
        end=appointment.end,
        tz=ZoneInfo(appointment.timezone),
        summary=appointment_summary(kind, appointment),
        status="CANCELLED" if appointment.is_cancelled else "CONFIRMED",
        sequence=appointment.sequence,
        last_modified=appointment.updated_at,
        created=appointment.created_at,
        location=place(appointment.room_name, appointment.site_name, appointment.site_address),
        description="\n".join(lines),
        categories=(appointment.ccas_short_name,),
    )


def appointment_events(
    feed: Feed, window: Window, link: Callable[[int], str] | None
) -> list[ical.Event]:
    """The feed's permanence appointments in its window, as events (one query)."""
    rows = permanences.appointments_for_feed(
        window.start, window.end, **_appointment_filter(feed, window)
    )
    return [appointment_event(feed.kind, row) for row in rows]


# Event sources ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventSource:
    """Something feeds show. `load(feed, window, link)` gives its events in the window (one
    query); `version(feed, window)` a cheap value that changes whenever they may have, with
    the time of the last change (None if unknown)."""

    name: str
    load: Callable[[Feed, Window, Callable[[int], str] | None], list[ical.Event]]
    version: Callable[[Feed, Window], tuple[Hashable, datetime | None]]


BOOKINGS = EventSource("bookings", booking_events, booking_version)
SOCIAL_WORKER_BOOKINGS = EventSource(
    "social_worker_bookings", bookings_made_by_social_worker, booking_version
)
APPOINTMENTS = EventSource("appointments", appointment_events, appointment_version)

# The extension point: what each kind of feed shows. A new source brings its own `load` (one
# query) and `version` (one aggregate); ical.py needs no change.
EVENT_SOURCES: dict[str, tuple[EventSource, ...]] = {
    "organisation": (BOOKINGS, APPOINTMENTS),
    "resource": (BOOKINGS,),
    "social_worker": (SOCIAL_WORKER_BOOKINGS, APPOINTMENTS),
    "personal": (BOOKINGS,),
    PUBLIC: (BOOKINGS,),
}
assert set(EVENT_SOURCES) == {*FEED_KINDS, PUBLIC}


# Building and caching ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BuiltFeed:
    body: bytes
    etag: str  # strong: the body's hash
    last_modified: datetime


def booking_link() -> Callable[[int], str] | None:
    """How to link a booking's page from a feed (absolute URL), if the page exists."""
    marker = 918273645
    try:
        sample = url_for("bookings.show", booking_id=marker, _external=True)
    except BuildError:
        return None
    prefix, _, suffix = sample.partition(str(marker))
    return lambda booking_id: f"{prefix}{booking_id}{suffix}"


def build(
    feed: Feed, window: Window, link: Callable[[int], str] | None, last_change: datetime
) -> BuiltFeed:
    """Write the feed from its sources: the same rows always give the same bytes."""
    events: list[ical.Event] = []
    for source in EVENT_SOURCES[feed.kind]:
        events.extend(source.load(feed, window, link))
    body = ical.to_ics(ical.Calendar(name=feed.name, events=tuple(events)))
    etag = hashlib.sha256(body).hexdigest()[:40]
    return BuiltFeed(body, etag, last_change.replace(microsecond=0))


def get(feed: Feed, window: Window | None = None) -> BuiltFeed:
    """The feed as it stands, from this process's cache when none of its sources changed."""
    window = window or current_window()
    link = booking_link()
    versions = []
    last_change = window.day
    for source in EVENT_SOURCES[feed.kind]:
        version, changed = source.version(feed, window)
        versions.append((source.name, version))
        if changed is not None and changed > last_change:
            last_change = changed
    key = (feed, window, link(0) if link else None, tuple(versions))
    cache = _state().cache
    built = cache.get(key)
    if built is None:
        built = build(feed, window, link, last_change)
        cache.put(key, built)
    return built


def booking_ics(booking: Booking, viewer: User | None) -> bytes:
    """One booking as an .ics to import ("Ajouter à mon agenda"), as this person may read it."""
    insiders = frozenset(
        [booking.organisation_id] if permissions.can_see_booking_details(viewer, booking) else []
    )
    scope = BookingScope((), (), insiders, True, True)
    event = booking_event(BookingRow.of(booking), scope, "event", booking_link())
    return ical.to_ics(ical.Calendar(name=event.summary, events=(event,)))


class FeedCache:
    """Built feeds by key, least recently used first out, each kept `max_age` seconds."""

    def __init__(self) -> None:
        self._entries: OrderedDict[Hashable, tuple[float, BuiltFeed]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> BuiltFeed | None:
        max_age = current_app.config["POLE_FEED_CACHE_SECONDS"]
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if time.monotonic() - entry[0] > max_age:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: Hashable, built: BuiltFeed) -> None:
        size = current_app.config["POLE_FEED_CACHE_SIZE"]
        if size <= 0:
            return
        with self._lock:
            self._entries[key] = (time.monotonic(), built)
            self._entries.move_to_end(key)
            while len(self._entries) > size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


# Rate limit -------------------------------------------------------------------------------------


class RateLimiter:
    """A token bucket per key, in this process: `capacity` requests, refilled evenly over
    `period` seconds. With several worker processes each keeps its own buckets."""

    MAX_KEYS = 10_000

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait(self, key: str, capacity: int, period: float, now: float | None = None) -> float:
        """Take one request from `key`'s bucket: 0 if allowed, else seconds until one is."""
        now = time.monotonic() if now is None else now
        rate = capacity / period
        with self._lock:
            tokens, then = self._buckets.get(key, (float(capacity), now))
            tokens = min(float(capacity), tokens + (now - then) * rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                if len(self._buckets) > self.MAX_KEYS:
                    self._forget_full(capacity, rate, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / rate

    def _forget_full(self, capacity: int, rate: float, now: float) -> None:
        for key, (tokens, then) in list(self._buckets.items()):
            if tokens + (now - then) * rate >= capacity:
                del self._buckets[key]


def parse_rate(text: str) -> tuple[int, int] | None:
    """ "60/600" means 60 requests per 600 seconds; "" or "0" turns the limit off."""
    text = (text or "").strip()
    if text in ("", "0"):
        return None
    count, _, seconds = text.partition("/")
    return int(count), int(seconds or 60)


def retry_after(selector: str) -> int:
    """0 if this link may fetch now, else whole seconds to wait (POLE_FEED_RATE_LIMIT)."""
    rate = parse_rate(current_app.config["POLE_FEED_RATE_LIMIT"])
    if rate is None:
        return 0
    wait = _state().limiter.wait(selector, *rate)
    return math.ceil(wait) if wait else 0


@dataclass
class _FeedState:
    cache: FeedCache
    limiter: RateLimiter


def _state() -> _FeedState:
    state = current_app.extensions.get("pole.feeds")
    if state is None:
        state = current_app.extensions.setdefault(
            "pole.feeds", _FeedState(FeedCache(), RateLimiter())
        )
    return state


def clear_cache() -> None:
    """Forget built feeds and buckets (tests that reset the database between runs)."""
    current_app.extensions.pop("pole.feeds", None)
