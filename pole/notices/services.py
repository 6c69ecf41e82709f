"""The noticeboard's database work: post (recorded, mailed), withdraw, what each person sees
and hides from her home page."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from pole import permissions
from pole.auth.models import User
from pole.core.refusals import Reason, Refused
from pole.db import db, is_postgresql, utcnow, write_transaction
from pole.events.record import record
from pole.events.services import site_tz
from pole.notices import mails, rules
from pole.notices.models import Notice, NoticeDismissal, notice_audience
from pole.organisations.models import Membership, Organisation
from pole.timeutil import to_local


class NoticeRefused(Refused):
    """The notice cannot be posted or withdrawn; `reasons` say why."""


class NotYours(Exception):
    """Writing to organisations one does not coordinate, or withdrawing another's notice."""


@dataclass(frozen=True)
class NoticeData:
    title: str
    text: str
    until: date
    to_all: bool
    organisation_ids: frozenset[int]


def today(now: datetime) -> date:
    return to_local(now, site_tz()).date()


def coordinated(user: User) -> list[Organisation]:
    """The organisations this person may write to: all for the manager, else those she
    coordinates."""
    if permissions.is_manager(user):
        query = sa.select(Organisation).where(Organisation.is_active)
        return list(db.session.scalars(query.order_by(Organisation.name)))
    return [m.organisation for m in user.memberships if m.role == "coordinator"]


def can_post(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        permissions.is_manager(user) or bool(coordinated(user))
    )


def _concerned(notice: Notice) -> list[User]:
    """The active members of the organisations the notice is for."""
    members = sa.select(Membership.user_id).join(Organisation).where(Organisation.is_active)
    if not notice.to_all:
        members = members.where(Membership.organisation_id.in_([o.id for o in notice.audience]))
    query = sa.select(User).where(User.id.in_(members), User.is_active).order_by(User.id)
    return list(db.session.scalars(query))


def post(data: NoticeData, author: User, now: datetime | None = None) -> Notice:
    """Post a notice: on the home page of those concerned until its day, and mailed to them."""
    now = now or utcnow()
    allowed = {o.id for o in coordinated(author)}
    manager = permissions.is_manager(author)
    if not rules.may_post_to(manager, data.to_all, set(data.organisation_ids), allowed):
        raise NotYours()
    reasons = rules.check_notice(data.until, today(now))
    if not data.to_all and not data.organisation_ids:
        reasons.append(Reason("audience", "organisation_ids", "Choisissez à qui l'annonce va."))
    if reasons:
        raise NoticeRefused(reasons)
    with write_transaction(now=now):
        audience = []
        if not data.to_all:
            query = sa.select(Organisation).where(Organisation.id.in_(data.organisation_ids))
            audience = list(db.session.scalars(query))
        notice = Notice(
            author_id=author.id,
            title=data.title,
            text=data.text,
            until=data.until,
            to_all=data.to_all,
            created_at=now,
            audience=audience,
        )
        db.session.add(notice)
        db.session.flush()
        record(
            "notice.posted",
            actor=author,
            now=now,
            organisation=audience[0].id if len(audience) == 1 else None,
            after={"title": data.title, "until": data.until.isoformat(), "to_all": data.to_all},
            notice=notice,
        )
        for person in _concerned(notice):
            if person.id != author.id:
                mails.send_notice(notice, person)
    return notice


def withdraw(notice_id: int, user: User, now: datetime | None = None) -> None:
    """Take a notice off the board (its author, or the manager); it stays in the record."""
    now = now or utcnow()
    with write_transaction(now=now):
        notice = db.session.get(Notice, notice_id, with_for_update=True)
        if notice is None:
            raise NoticeRefused([Reason("missing", "", "Cette annonce n'existe pas.")])
        if notice.author_id != user.id and not permissions.is_manager(user):
            raise NotYours()
        if notice.withdrawn_at is not None:
            return
        notice.withdrawn_at = now
        record(
            "notice.withdrawn",
            actor=user,
            now=now,
            after={"title": notice.title, "until": notice.until.isoformat()},
            notice=notice,
        )


# Each part of a notices' query takes its value, or a bound parameter (_board_statements).


def _shown(day: date | sa.BindParameter) -> sa.ColumnElement[bool]:
    """Not withdrawn and not over on `day` (the building's today)."""
    return sa.and_(Notice.withdrawn_at.is_(None), Notice.until >= day)


def _for(org_ids: list[int] | sa.BindParameter) -> sa.ColumnElement[bool]:
    """The notices written for a person of these organisations: for all, or for one of them."""
    for_hers = sa.select(notice_audience.c.notice_id).where(
        notice_audience.c.organisation_id.in_(org_ids)
    )
    return sa.or_(Notice.to_all, Notice.id.in_(for_hers))


def _hidden_by(user_id: int | sa.BindParameter) -> sa.Select:
    return sa.select(NoticeDismissal.notice_id).where(NoticeDismissal.user_id == user_id)


def _org_ids(user: User) -> list[int]:
    return [m.organisation_id for m in user.memberships]


@dataclass(frozen=True)
class Board:
    """The notices on one person's home page, and how many shown ones she hid."""

    notices: list[Notice]
    hidden: int = 0

    def __bool__(self) -> bool:
        return bool(self.notices or self.hidden)


@functools.cache
def _board_statements() -> tuple[sa.Select, sa.Select]:
    """The board's statements (its notices, and the count of those hidden), built once per
    process; `_board_values` binds them per request."""
    shown = _shown(sa.bindparam("today"))
    for_her = _for(sa.bindparam("org_ids", expanding=True))
    hidden_by = _hidden_by(sa.bindparam("user_id"))
    notices = sa.select(Notice).where(shown, for_her, Notice.id.not_in(hidden_by))
    notices = notices.order_by(Notice.created_at.desc(), Notice.id.desc())
    hidden = sa.select(sa.func.count()).where(Notice.id.in_(hidden_by), shown, for_her)
    return notices, hidden


def _board_values(user: User, now: datetime) -> dict:
    return {"today": today(now), "org_ids": _org_ids(user), "user_id": user.id}


def board_for(user: User, now: datetime) -> list[Notice]:
    """The notices on this person's home page: for her, shown, not hidden by her."""
    notices, _ = _board_statements()
    return list(db.session.scalars(notices, _board_values(user, now)))


def board(user: User, now: datetime) -> Board:
    """The home page's board: its notices, and the count of those she hid that still show."""
    notices, hidden = _board_statements()
    values = _board_values(user, now)
    shown = list(db.session.scalars(notices, values))
    return Board(shown, db.session.scalar(hidden, values) or 0)


def hidden_for(user: User, now: datetime) -> list[Notice]:
    """The notices this person hid that still show, newest first: to put back one by one."""
    query = sa.select(Notice).where(
        Notice.id.in_(_hidden_by(user.id)), _shown(today(now)), _for(_org_ids(user))
    )
    query = query.options(sa.orm.selectinload(Notice.author))
    return list(db.session.scalars(query.order_by(Notice.created_at.desc(), Notice.id.desc())))


def hide(user: User, notice_ids: Iterable[int], now: datetime | None = None) -> list[Notice]:
    """Hide these notices from this person's home page (only hers: NotYours otherwise); the
    notices now hidden. Hiding twice, from two tabs at once, hides once."""
    now = now or utcnow()
    ids = set(notice_ids)
    with write_transaction(now=now):
        notices = list(
            db.session.scalars(sa.select(Notice).where(Notice.id.in_(ids), _for(_org_ids(user))))
        )
        if len(notices) != len(ids):
            raise NotYours()
        if notices:
            dialect = postgresql if is_postgresql() else sqlite
            statement = dialect.insert(NoticeDismissal).values(
                [{"user_id": user.id, "notice_id": n.id, "dismissed_at": now} for n in notices]
            )
            db.session.execute(statement.on_conflict_do_nothing())
    return sorted(notices, key=lambda n: n.title)


def show_again(user: User, now: datetime | None = None) -> int:
    """Put back on this person's home page every notice she hid; how many still show."""
    now = now or utcnow()
    with write_transaction(now=now):
        back = db.session.scalar(
            sa.select(sa.func.count()).where(
                Notice.id.in_(_hidden_by(user.id)), _shown(today(now)), _for(_org_ids(user))
            )
        )
        db.session.execute(sa.delete(NoticeDismissal).where(NoticeDismissal.user_id == user.id))
    return back or 0


def show_one_again(user: User, notice_id: int, now: datetime | None = None) -> str | None:
    """Put back on this person's home page one notice she hid (only hers: NotYours otherwise);
    its title, or None when it was not hidden (shown again from another tab, say)."""
    now = now or utcnow()
    with write_transaction(now=now):
        notice = db.session.scalar(
            sa.select(Notice).where(Notice.id == notice_id, _for(_org_ids(user)))
        )
        if notice is None:
            raise NotYours()
        removed = db.session.execute(
            sa.delete(NoticeDismissal).where(
                NoticeDismissal.user_id == user.id, NoticeDismissal.notice_id == notice.id
            )
        )
        title = notice.title
    return title if removed.rowcount else None


def written_by(user: User, now: datetime) -> list[tuple[Notice, bool]]:
    """The notices this person posted (the manager: every notice), each with whether it shows."""
    query = sa.select(Notice).order_by(Notice.created_at.desc(), Notice.id.desc())
    if not permissions.is_manager(user):
        query = query.where(Notice.author_id == user.id)
    day = today(now)
    return [
        (n, rules.is_shown(n.until, n.withdrawn_at is not None, day))
        for n in db.session.scalars(query.limit(100))
    ]


def notice_of(notice_id: int) -> Notice | None:
    return db.session.get(Notice, notice_id)
