"""The sender: claim the due mails, hand them to SMTP after the commit, record what happened.

Claiming marks a mail `sending` with a lease, in a short transaction: PostgreSQL skips the
rows another sender has locked (FOR UPDATE SKIP LOCKED), SQLite takes its write lock, so two
senders never claim one mail. A sender killed between its claim and its record loses nothing:
the lease runs out and another sender takes the mail. Only then can a mail go out twice (it
may have reached SMTP before the kill): at least once, in that case alone.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from pole.db import db, is_postgresql, utcnow, write_transaction
from pole.mail import log_instead, smtp_connection
from pole.outbox import rules
from pole.outbox.links import mail_domain
from pole.outbox.message import build_message
from pole.outbox.models import OutgoingMail
from pole.outbox.rendering import keep_rendering, render

log = logging.getLogger("pole.outbox")
BATCH = 50


@dataclass(frozen=True)
class Delivery:
    """What one round of the sender did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0


def claim(now: datetime, limit: int = BATCH) -> list[OutgoingMail]:
    """Take the due mails (and those whose sender's lease ran out) for this sender."""
    due = sa.or_(
        sa.and_(OutgoingMail.status == "queued", OutgoingMail.due_at <= now),
        sa.and_(OutgoingMail.status == "sending", OutgoingMail.lease_until <= now),
    )
    query = sa.select(OutgoingMail).where(due).order_by(OutgoingMail.due_at, OutgoingMail.id)
    with write_transaction(now=now):
        if is_postgresql():
            query = query.with_for_update(skip_locked=True)
        mails = list(db.session.scalars(query.limit(limit)))
        for mail in mails:
            mail.status = "sending"
            mail.lease_until = now + rules.LEASE
            mail.attempts += 1
        db.session.flush()
        # What the sending needs, read before the commit so nothing is loaded lazily after.
        for mail in mails:
            db.session.expunge(mail)
    return mails


def deliver_due(now: datetime | None = None, limit: int = BATCH) -> Delivery:
    """Send the mails that are due; failures wait 1, 2, 4… minutes, a day at most."""
    now = now or utcnow()
    mails = claim(now, limit)
    if not mails:
        return Delivery()
    errors = _send(mails)
    # One write transaction for the round, not one per mail: on SQLite each is a turn in the
    # queue of writers, which the booking POSTs wait in too.
    with write_transaction(now=now):
        rows = _locked_rows([mail.id for mail in mails])
        outcomes = [record(rows.get(mail.id), mail, errors.get(mail.id), now) for mail in mails]
    sent, retried, failed = (outcomes.count(s) for s in ("sent", "queued", "failed"))
    return Delivery(len(mails), sent, retried, failed)


def _send(mails: list[OutgoingMail]) -> dict[int, str]:
    """Render the mails written as facts, hand each mail to SMTP (one session) or to the
    log; the errors, by mail id."""
    config = current_app.config
    sender = config["MAIL_DEFAULT_SENDER"]
    domain = mail_domain()
    errors: dict[int, str] = {}
    rendered = []
    for mail in mails:
        try:
            render(mail)
        except Exception as error:  # noqa: BLE001 (facts it cannot render: retried, then given up)
            log.exception("Mail %s (%s) not rendered", mail.id, mail.kind)
            errors[mail.id] = _describe(error)
            continue
        rendered.append(mail)
    if not config["MAIL_SERVER"]:
        # The log needs the address and the subject only: no MIME message, the most of a
        # mail's CPU (the email package parses every header it is given).
        app = current_app
        with_body = config.get("POLE_MAIL_LOG_BODY") or app.debug or app.testing
        for mail in rendered:
            log_instead(mail.to, mail.subject, mail.text_body, with_body or not mail.has_link)
        return errors
    messages = []
    for mail in rendered:
        try:
            messages.append((mail, build_message(mail, sender, domain)))
        except Exception as error:  # noqa: BLE001 (one mail the email package refuses: retried, then given up; the others leave)
            log.exception("Mail %s (%s) not built", mail.id, mail.kind)
            errors[mail.id] = _describe(error)
    handed: set[int] = set()
    try:
        with smtp_connection(config) as smtp:
            for mail, message in messages:
                try:
                    smtp.send_message(message)
                    handed.add(mail.id)
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as error:
                    errors[mail.id] = _describe(error)
                    with contextlib.suppress(smtplib.SMTPException, OSError):
                        smtp.rset()
    except (smtplib.SMTPException, OSError) as error:
        # The server is down or dropped us: every mail it did not take waits for a retry.
        for mail, _ in messages:
            if mail.id not in handed:
                errors.setdefault(mail.id, _describe(error))
    return errors


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:500]


def _locked_rows(ids: list[int]) -> dict[int, OutgoingMail]:
    """The round's rows as they are now, locked (in id order), in one query."""
    query = (
        sa.select(OutgoingMail)
        .where(OutgoingMail.id.in_(ids))
        .order_by(OutgoingMail.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {row.id: row for row in db.session.scalars(query)}


def record(row: OutgoingMail | None, mail: OutgoingMail, error: str | None, now: datetime) -> str:
    """Write down in `row` (None: deleted since) how sending its copy `mail` went; returns
    the mail's new status. Inside the round's write transaction."""
    if row is None or row.status in ("sent", "failed"):
        return row.status if row else "sent"
    keep_rendering(row, mail)
    if error is None:
        row.status, row.sent_at, row.lease_until, row.last_error = "sent", now, None, ""
        return "sent"
    if row.status != "sending" or row.attempts != mail.attempts:
        return row.status  # our lease ran out and another sender has it now
    row.last_error = error
    row.lease_until = None
    retry_at = rules.next_try(row.created_at, row.attempts, now)
    if retry_at is None:
        row.status = "failed"
        log.error(
            "Mail %s (%s) given up after %s attempts: %s", row.id, row.kind, row.attempts, error
        )
        return "failed"
    row.status, row.due_at = "queued", retry_at
    log.warning("Mail %s (%s) not sent, retried at %s: %s", row.id, row.kind, retry_at, error)
    return "queued"


def forget_old(now: datetime, keep_days: int) -> int:
    """Delete the mails sent or given up more than `keep_days` ago (their text is personal)."""
    limit = now - timedelta(days=keep_days)
    with write_transaction(now=now):
        return db.session.execute(
            sa.delete(OutgoingMail).where(
                OutgoingMail.status.in_(("sent", "failed")), OutgoingMail.created_at < limit
            )
        ).rowcount
