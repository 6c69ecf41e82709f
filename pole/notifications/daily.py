"""The daily mails the worker sends: each person's digest, and the reminders of tomorrow.

Each is claimed by a (person, day, purpose) row inserted in the transaction that queues its
mail (and, for a digest, deletes the items it carries): two workers never send one twice
(the second one's insert finds the row), and a worker that dies before its commit leaves
everything as it was for the next one. What is due is read from the clock and the database
at each round, never from a worker's memory.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from pole.auth.models import User
from pole.bookings.models import ACTIVE_STATUSES, Booking
from pole.db import db, is_postgresql, write_transaction
from pole.events.services import site_tz
from pole.formatting import format_date
from pole.notifications import rules
from pole.notifications.letters import booking_line, brief, practical_info
from pole.notifications.models import DailyMail, DigestItem, NotificationChoice
from pole.notifications.telling import tell, write_mail
from pole.timeutil import local_day_bounds

DIGEST, REMINDER = "digest", "reminder"
log = logging.getLogger("pole.notifications")


def _each(people: list[int], send: Callable[[int], bool]) -> int:
    """Send each person's mail in its own transaction; one that fails is tried next round."""
    sent = 0
    for user_id in people:
        try:
            sent += send(user_id)
        except Exception:
            log.exception("The daily mail of person %s failed; it is tried again later", user_id)
    return sent


def _claim(user_id: int, day: date, purpose: str, now: datetime) -> bool:
    """Take this person's mail of the day for this worker; False if another has it."""
    dialect = postgresql if is_postgresql() else sqlite
    statement = (
        dialect.insert(DailyMail)
        .values(user_id=user_id, day=day, purpose=purpose, sent_at=now)
        .on_conflict_do_nothing(index_elements=["user_id", "day", "purpose"])
        .returning(DailyMail.user_id)
    )
    # Nothing returned: the row was there already (another worker's, or an earlier round's).
    return db.session.execute(statement).scalar() is not None


def _not_sent(user_id: sa.ColumnElement, day: date, purpose: str) -> sa.ColumnElement[bool]:
    return ~sa.exists().where(
        DailyMail.user_id == user_id, DailyMail.day == day, DailyMail.purpose == purpose
    )


def send_digests(now: datetime) -> int:
    """Send each person their digest of the day from 07:00: what was kept for them before
    07:00 (what comes later waits for tomorrow's); how many were sent."""
    tz = site_tz()
    day = rules.digest_day(now, tz)
    if day is None:
        return 0
    cutoff = rules.digest_cutoff(day, tz)
    waiting = db.session.scalars(
        sa.select(DigestItem.user_id)
        .distinct()
        .where(DigestItem.created_at < cutoff, _not_sent(DigestItem.user_id, day, DIGEST))
    ).all()
    db.session.rollback()  # end the read: each digest is its own write transaction
    return _each(waiting, lambda user_id: _send_digest(user_id, day, cutoff, now))


def _send_digest(user_id: int, day: date, cutoff: datetime, now: datetime) -> bool:
    with write_transaction(now=now):
        if not _claim(user_id, day, DIGEST, now):
            return False
        items = db.session.scalars(
            sa.select(DigestItem)
            .where(DigestItem.user_id == user_id, DigestItem.created_at < cutoff)
            .order_by(DigestItem.id)
        ).all()
        user = db.session.get(User, user_id)
        if items and user.is_active:
            write_digest(user, items, day, now)
        db.session.execute(sa.delete(DigestItem).where(DigestItem.id.in_([i.id for i in items])))
        return bool(items) and user.is_active


def write_digest(user: User, items: list[DigestItem], day: date, now: datetime) -> None:
    kinds = list(dict.fromkeys(item.kind for item in items))
    count = f"{len(items)} message{'s' if len(items) > 1 else ''}"
    subject = f"Votre résumé Pôle du {format_date(day)} ({count})"
    body = "Voici ce qui vous concerne depuis votre dernier résumé.\n\n" + "\n\n".join(
        f"{item.subject}\n{item.text}" for item in items
    )
    labels = ", ".join(f"« {rules.KINDS_BY_KEY[k].label} »" for k in kinds)
    why = f"Vous recevez ce résumé quotidien selon vos choix de notifications ({labels})."
    write_mail(user, kinds, subject, body, why, outbox_kind="notify_digest", now=now)


def send_reminders(now: datetime) -> int:
    """From 07:00, remind each person who asked of their bookings of tomorrow; how many."""
    tz = site_tz()
    day = rules.reminder_day(now, tz)
    if day is None:
        return 0
    start, end = local_day_bounds(day, tz)
    wanted = sa.select(NotificationChoice.user_id).where(
        NotificationChoice.kind == rules.REMINDER, NotificationChoice.choice == rules.EACH
    )
    people = db.session.scalars(
        sa.select(Booking.created_by_id)
        .distinct()
        .where(
            Booking.created_by_id.in_(wanted),
            Booking.status.in_(ACTIVE_STATUSES),
            Booking.start >= start,
            Booking.start < end,
            _not_sent(Booking.created_by_id, day, REMINDER),
        )
    ).all()
    db.session.rollback()
    return _each(people, lambda user_id: _send_reminder(user_id, day, (start, end), now))


def _send_reminder(
    user_id: int, day: date, bounds: tuple[datetime, datetime], now: datetime
) -> bool:
    with write_transaction(now=now):
        if not _claim(user_id, day, REMINDER, now):
            return False
        bookings = db.session.scalars(
            sa.select(Booking)
            .where(
                Booking.created_by_id == user_id,
                Booking.status.in_(ACTIVE_STATUSES),
                Booking.start >= bounds[0],
                Booking.start < bounds[1],
            )
            .order_by(Booking.start, Booking.id)
        ).all()
        user = db.session.get(User, user_id)
        if not bookings:
            return False
        lines = "\n".join(
            booking_line(brief(b))
            + (" (en attente de validation)" if b.status == "pending" else "")
            for b in bookings
        )
        plural = "s" if len(bookings) > 1 else ""
        subject = f"Rappel : vos réservation{plural} de demain, {format_date(day)}"
        body = f"Demain, vous avez réservé :\n{lines}\n" + practical_info(
            brief(b) for b in bookings
        )
        return tell(user, rules.REMINDER, subject, body, now=now) == rules.EACH


def forget_old_claims(now: datetime, keep_days: int) -> int:
    """Delete the daily mails' claim rows older than `keep_days` (they only guard their day)."""
    limit = now.date() - timedelta(days=keep_days + 2)
    with write_transaction(now=now):
        return db.session.execute(sa.delete(DailyMail).where(DailyMail.day < limit)).rowcount
