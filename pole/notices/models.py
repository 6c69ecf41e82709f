"""A notice on the board: who wrote it, to whom, what, until when; withdrawn, never deleted."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from pole.auth.models import User
from pole.db import UTCDateTime, db
from pole.organisations.models import Organisation

notice_audience = sa.Table(
    "board_notice_audience",
    db.metadata,
    sa.Column("notice_id", sa.ForeignKey("board_notice.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "organisation_id", sa.ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    ),
)


class Notice(db.Model):
    """A notice shown on the home page of the people concerned until its last day."""

    __tablename__ = "board_notice"
    __table_args__ = (sa.Index("ix_board_notice_until", "withdrawn_at", "until"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    author_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    title: so.Mapped[str] = so.mapped_column(sa.String(120))
    text: so.Mapped[str] = so.mapped_column(sa.Text)
    until: so.Mapped[date] = so.mapped_column(sa.Date)  # shown through that day
    to_all: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    withdrawn_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    author: so.Mapped[User | None] = so.relationship()
    audience: so.Mapped[list[Organisation]] = so.relationship(
        secondary=notice_audience, order_by=Organisation.name
    )

    @property
    def audience_label(self) -> str:
        if self.to_all:
            return "Toutes les organisations"
        return ", ".join(o.name for o in self.audience)

    def __repr__(self) -> str:
        return f"<Notice {self.id} until {self.until}>"


class NoticeDismissal(db.Model):
    """One person hid one notice from her home page. The notice itself is untouched: it still
    shows to everyone else, on its author's list and in the journal."""

    __tablename__ = "board_notice_dismissal"

    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    notice_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("board_notice.id", ondelete="CASCADE"), primary_key=True
    )
    dismissed_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
