"""Queue a mail: one row, written in the transaction of the change it tells about."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

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


def queue_facts_where(
    mails: list[tuple[str, dict, str, str | None, sa.ColumnElement[bool]]],
    *,
    now: datetime | None = None,
) -> int:
    """Add mails written as facts, like `queue_facts`, each only where its SQL condition holds
    (to, facts, kind, ics_method, condition): ONE `INSERT … SELECT` in the write transaction,
    nothing asked before it. Returns how many were added."""
    if not mails:
        return 0
    fresh = _fresh(now)
    connection = db.session.connection()
    # PostgreSQL cannot tell a bound parameter's type in a SELECT list; SQLite must not cast
    # to JSON (CAST AS JSON is NUMERIC affinity there: it would store 0).
    cast = connection.dialect.name == "postgresql"
    table = OutgoingMail.__table__
    selects = []
    for to, facts, kind, ics_method, condition in mails:
        row = {"to": to, "kind": kind, "facts": facts, "ics_method": ics_method} | fresh
        values = {name: sa.literal(value, table.c[name].type) for name, value in row.items()}
        if cast:
            values["facts"] = sa.cast(values["facts"], sa.JSON)
        selects.append(sa.select(*values.values()).where(condition))
    rows = selects[0] if len(selects) == 1 else sa.union_all(*selects)
    insert = sa.insert(OutgoingMail).from_select(list(values), rows)
    # The rowcount of an INSERT is kept only when asked (SQLAlchemy closes its cursor).
    added = connection.execute(insert, execution_options={"preserve_rowcount": True}).rowcount
    if added:
        kick.after_commit(db.session())
    return added


def _fresh(now: datetime | None) -> dict:
    """What every new mail starts as: queued, due at the change's time, never tried."""
    if not in_write_transaction():
        raise RuntimeError("queue_mail runs inside the write_transaction of the change it tells")
    now = now or change_time()
    return {"status": "queued", "created_at": now, "due_at": now, "attempts": 0, "last_error": ""}


def _queue(mail: OutgoingMail, now: datetime | None, send_at_once: bool) -> OutgoingMail:
    for name, value in _fresh(now).items():
        setattr(mail, name, value)
    db.session.add(mail)
    if send_at_once:
        kick.after_commit(db.session())
    return mail
