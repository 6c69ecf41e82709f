"""Door display links (issue, revoke, open) and what the door of a room shows.

A link is `<selector>.<verifier>` like a feed link (pole.feeds.links): the selector finds the
row, the verifier is kept only as its SHA-256 and compared in constant time; a new link
revokes the one before. The door shows what a visitor may read: private titles stay hidden.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_login import AnonymousUserMixin

from pole.auth.models import User
from pole.bookings import services as bookings
from pole.bookings.models import Booking
from pole.db import db, utcnow, write_transaction
from pole.displays.models import DisplayLink
from pole.events.record import record
from pole.formatting import format_date, format_hhmm
from pole.resources.models import Resource
from pole.timeutil import local_day_bounds, to_local

SELECTOR_BYTES = 12
VERIFIER_BYTES = 24
_NO_LINK_HASH = hashlib.sha256(b"no such display").hexdigest()
AHEAD_DAYS = 14  # "what is next" looks this far
NEXT_SHOWN = 3


def _hash(verifier: str) -> str:
    return hashlib.sha256(verifier.encode()).hexdigest()


def active_link(resource_id: int) -> DisplayLink | None:
    """The room's live door link, if it has one."""
    return db.session.scalar(
        db.select(DisplayLink).where(
            DisplayLink.resource_id == resource_id, DisplayLink.revoked_at.is_(None)
        )
    )


def issue_link(resource_id: int, by: User, now: datetime | None = None) -> str:
    """Make the room's door link, revoking the one before; return it in full (only now)."""
    now = now or utcnow()
    selector = secrets.token_urlsafe(SELECTOR_BYTES)
    verifier = secrets.token_urlsafe(VERIFIER_BYTES)
    with write_transaction(now=now):
        _revoke(resource_id, now, by)
        link = DisplayLink(
            resource_id=resource_id,
            selector=selector,
            verifier_hash=_hash(verifier),
            created_by_id=by.id,
            created_at=now,
        )
        db.session.add(link)
        db.session.flush()
        _record("display_link.created", link, by, now)
    return f"{selector}.{verifier}"


def revoke_link(resource_id: int, by: User, now: datetime | None = None) -> int:
    """Stop the room's door link from working; return how many links were revoked."""
    now = now or utcnow()
    with write_transaction(now=now):
        return _revoke(resource_id, now, by)


def _revoke(resource_id: int, now: datetime, by: User) -> int:
    rows = db.session.scalars(
        db.select(DisplayLink).where(
            DisplayLink.resource_id == resource_id, DisplayLink.revoked_at.is_(None)
        )
    ).all()
    for row in rows:
        row.revoked_at = now
        _record("display_link.revoked", row, by, now)
    return len(rows)


def _record(kind: str, link: DisplayLink, by: User, now: datetime) -> None:
    """Who made or revoked which room's door link, and when; never the secret."""
    record(kind, actor=by, now=now, resource=link.resource_id, display_link=link.id)


def resource_for_link(token: str) -> Resource | None:
    """The room a door link shows; None when it is unknown, malformed, revoked or inactive."""
    selector, dot, verifier = token.partition(".")
    row = None
    if dot and 0 < len(selector) <= 24 and verifier:
        row = db.session.scalar(db.select(DisplayLink).where(DisplayLink.selector == selector))
    # Compare even when no row matched, so that timing tells nothing about selectors.
    genuine = hmac.compare_digest(
        _hash(verifier), row.verifier_hash if row is not None else _NO_LINK_HASH
    )
    if row is None or not genuine or not row.is_active or not row.resource.is_active:
        return None
    return row.resource


@dataclass(frozen=True)
class DoorLine:
    when: str  # "14:00–16:00" (today), "mardi 9 décembre, 14:00–16:00" (later)
    label: str  # "Réservé — Restos du cœur" unless the booking is public
    is_now: bool = False
    is_pending: bool = False


@dataclass(frozen=True)
class Door:
    day: date
    clock: str
    now_line: DoorLine | None
    today: list[DoorLine]
    later: list[DoorLine]


def _line(booking: Booking, tz, day: date, now: datetime, visitor: object) -> DoorLine:  # noqa: ANN001
    start, end = to_local(booking.start, tz), to_local(booking.end, tz)
    when = f"{format_hhmm(start)}–{format_hhmm(end)}"
    if start.date() != day:
        when = f"{format_date(start, 'EEEE d MMMM')}, {when}"
    return DoorLine(
        when,
        bookings.booking_label(booking, visitor),
        booking.start <= now < booking.end,
        booking.is_pending,
    )


def door_of(resource: Resource, now: datetime | None = None) -> Door:
    """What the room's door says: now, the rest of today, and what comes next."""
    now = now or utcnow()
    tz = resource.site.tz
    day = to_local(now, tz).date()
    start_of_day, end_of_day = local_day_bounds(day, tz)
    visitor = AnonymousUserMixin()  # the door is public: it reads as a visitor does
    rows = bookings.active_bookings(
        [resource.id], start_of_day, end_of_day + timedelta(days=AHEAD_DAYS)
    )
    today, later = [], []
    for booking in rows:
        if booking.end <= now:
            continue
        line = _line(booking, tz, day, now, visitor)
        if booking.start < end_of_day:
            today.append(line)
        elif len(later) < NEXT_SHOWN:
            later.append(line)
    now_line = next((line for line in today if line.is_now), None)
    return Door(day, format_hhmm(to_local(now, tz)), now_line, today, later)
