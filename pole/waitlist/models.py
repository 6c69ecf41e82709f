"""A wish to be told when a taken time frees up: who, for which association, what, when."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from pole.auth.models import User
from pole.db import UTCDateTime, db
from pole.organisations.models import Organisation
from pole.resources.models import Resource

END_REASONS = ("booked", "withdrawn", "passed", "lapsed")
END_LABELS = {
    "booked": "réservé",
    "withdrawn": "retirée",
    "passed": "date passée",
    "lapsed": "sans réponse à temps",
}


class Wish(db.Model):
    """One person waiting for one resource at one time, first come first told.

    `told_at` is set when the time freed up and she was told; `answer_by` is when, if she
    has not booked it, the next person waiting is told (a column: every worker reads the
    same deadline). `ended_at` and `end_reason` close the wish for good.
    """

    __tablename__ = "waitlist_wish"
    __table_args__ = (
        sa.CheckConstraint(
            "end_reason IS NULL OR end_reason IN ('booked', 'withdrawn', 'passed', 'lapsed')",
            name="end_reason",
        ),
        sa.Index("ix_waitlist_wish_resource_open", "resource_id", "ended_at", "start"),
        sa.Index("ix_waitlist_wish_answer_by", "ended_at", "answer_by"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE")
    )
    resource_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("resource.id", ondelete="CASCADE"))
    start: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    end: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    quantity: so.Mapped[int] = so.mapped_column(default=1)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    told_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    answer_by: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    ended_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    end_reason: so.Mapped[str | None] = so.mapped_column(sa.String(10))

    user: so.Mapped[User] = so.relationship()
    organisation: so.Mapped[Organisation] = so.relationship()
    resource: so.Mapped[Resource] = so.relationship()

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    @property
    def end_label(self) -> str:
        return END_LABELS.get(self.end_reason or "", "")

    def __repr__(self) -> str:
        return f"<Wish {self.id} {self.resource_id} {self.start:%Y-%m-%d %H:%M}>"
