"""Queue a mail: one row, written in the transaction of the change it tells about."""

from __future__ import annotations

from datetime import datetime

from pole.db import change_time, db, in_write_transaction
from pole.outbox import kick
from pole.outbox.models import OutgoingMail


def queue_mail(
    to: str,
    subject: str,
    text: str,
    *,
    kind: str,
    html: str | None = None,
    ics: str | None = None,
    ics_method: str | None = None,
    now: datetime | None = None,
    unsubscribe_url: str | None = None,
    send_at_once: bool = True,
) -> OutgoingMail:
    """Add a mail to the outbox in the current write transaction; it leaves after the commit.

    Never commits: a change that rolls back takes its mail with it. `send_at_once=False` leaves the
    mail to `flask pole worker` (within POLE_WORKER_INTERVAL) instead of the web process's
    sending thread, for a mail whose sending must not show in the request's timing.
    """
    mail = OutgoingMail(
        to=to,
        subject=subject[:300],
        text_body=text,
        html_body=html,
        ics=ics,
        ics_method=ics_method if ics else None,
        kind=kind,
        unsubscribe_url=unsubscribe_url,
    )
    return _queue(mail, now, send_at_once)


def queue_facts(
    to: str, facts: dict, *, kind: str, ics_method: str | None = None, now: datetime | None = None
) -> OutgoingMail:
    """Add a mail written as the facts it must tell (pole/outbox/rendering.py), like
    `queue_mail`: the sender renders it at delivery. `facts` is JSON, its "mail" names its
    renderer; `ics_method` is the invitation's method when the rendering will carry one."""
    mail = OutgoingMail(to=to, facts=facts, kind=kind, ics_method=ics_method)
    return _queue(mail, now, send_at_once=True)


def _queue(mail: OutgoingMail, now: datetime | None, send_at_once: bool) -> OutgoingMail:
    if not in_write_transaction():
        raise RuntimeError("queue_mail runs inside the write_transaction of the change it tells")
    now = now or change_time()
    mail.status, mail.created_at, mail.due_at = "queued", now, now
    mail.attempts, mail.last_error = 0, ""
    db.session.add(mail)
    if send_at_once:
        kick.after_commit(db.session())
    return mail
