"""Queue a mail: one row, written in the transaction of the change it tells about."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable
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
    mails: list[tuple[str, dict, str, str | None, int]],
    condition: Callable[[str, sa.BindParameter], sa.ColumnElement[bool]],
    *,
    now: datetime | None = None,
) -> Counter[tuple[str, str]]:
    """Add mails written as facts, like `queue_facts`, each only where `condition(kind, whom)`
    holds in SQL: (to, facts, kind, ics_method, whom) each, `whom` an id the condition is about
    (the recipient's). ONE `INSERT … SELECT` in the write transaction, nothing asked before
    it. Returns the (to, kind) of the mails added (RETURNING), each as many times as added."""
    if not mails:
        return Counter()
    now = _queued_at(now)
    connection = db.session.connection()
    postgresql = connection.dialect.name == "postgresql"
    insert = _insert_where(condition, tuple(kind for _, _, kind, _, _ in mails), postgresql)
    values: dict = {"now": now}
    for i, (to, facts, _, ics_method, whom) in enumerate(mails):
        values |= {f"to_{i}": to, f"facts_{i}": facts, f"ics_{i}": ics_method, f"whom_{i}": whom}
    written = Counter(tuple(row) for row in connection.execute(insert, values))
    if written:
        kick.after_commit(db.session())
    return written


@functools.lru_cache(maxsize=256)
def _insert_where(
    condition: Callable[[str, sa.BindParameter], sa.ColumnElement[bool]],
    kinds: tuple[str, ...],
    postgresql: bool,
) -> sa.Insert:
    """The INSERT … SELECT of `queue_facts_where` for mails of these kinds, built once: one
    SELECT of bound values per mail, UNION ALL."""
    columns = OutgoingMail.__table__.c
    now = sa.bindparam("now", type_=columns.created_at.type)
    selects = []
    for i, kind in enumerate(kinds):
        facts = sa.bindparam(f"facts_{i}", type_=columns.facts.type)
        row = {
            "to": sa.bindparam(f"to_{i}", type_=columns.to.type),
            "kind": sa.literal(kind, columns.kind.type),
            # PostgreSQL cannot tell a bound parameter's type in a SELECT list; SQLite must not
            # cast to JSON (CAST AS JSON is NUMERIC affinity there: it would store 0).
            "facts": sa.cast(facts, sa.JSON) if postgresql else facts,
            "ics_method": sa.bindparam(f"ics_{i}", type_=columns.ics_method.type),
            "created_at": now,
            "due_at": now,
        } | {name: sa.literal(value, columns[name].type) for name, value in _FRESH.items()}
        whom = sa.bindparam(f"whom_{i}", type_=sa.Integer)
        selects.append(sa.select(*row.values()).where(condition(kind, whom)))
    rows = selects[0] if len(selects) == 1 else sa.union_all(*selects)
    insert = sa.insert(OutgoingMail).from_select(list(row), rows)
    return insert.returning(OutgoingMail.to, OutgoingMail.kind)


# What every new mail starts as, besides being due at once: queued, never tried.
_FRESH = {"status": "queued", "attempts": 0, "last_error": ""}


def _queued_at(now: datetime | None) -> datetime:
    if not in_write_transaction():
        raise RuntimeError("queue_mail runs inside the write_transaction of the change it tells")
    return now or change_time()


def _queue(mail: OutgoingMail, now: datetime | None, send_at_once: bool) -> OutgoingMail:
    mail.status, mail.attempts, mail.last_error = _FRESH.values()
    mail.created_at = mail.due_at = _queued_at(now)
    db.session.add(mail)
    if send_at_once:
        kick.after_commit(db.session())
    return mail
