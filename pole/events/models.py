"""The record of what happened: one Event row per change that matters, and when each
person last looked at their notices."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from pole.auth.models import User
from pole.db import UTCDateTime, db
from pole.organisations.models import Organisation
from pole.resources.models import Resource


class Event(db.Model):
    """One change: who (actor), for which organisation, what (kind), when, before and after.

    The booking is a real foreign key (its history is read through it, and bookings are
    never deleted). Any other subject (series, closure, permanence, appointment,
    membership, feed link) is `subject_type` + `subject_id` without a foreign key: closures
    and memberships are deleted and appointments purged, and the record must outlive them.
    `data` holds {"before": ..., "after": ...}; never a beneficiary reference or a note.
    """

    __table_args__ = (
        sa.Index("ix_event_at", "at"),
        sa.Index("ix_event_organisation_at", "organisation_id", "at"),
        sa.Index("ix_event_resource_at", "resource_id", "at"),
        sa.Index("ix_event_actor_at", "actor_id", "at"),
        sa.Index("ix_event_booking_at", "booking_id", "at"),
        sa.Index("ix_event_subject", "subject_type", "subject_id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    kind: so.Mapped[str] = so.mapped_column(sa.String(40))
    actor_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    organisation_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="SET NULL")
    )
    resource_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("resource.id", ondelete="SET NULL")
    )
    booking_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("booking.id", ondelete="SET NULL")
    )
    subject_type: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    subject_id: so.Mapped[int | None] = so.mapped_column()
    data: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)

    actor: so.Mapped[User | None] = so.relationship()
    organisation: so.Mapped[Organisation | None] = so.relationship()
    resource: so.Mapped[Resource | None] = so.relationship()

    @property
    def before(self) -> dict:
        return (self.data or {}).get("before") or {}

    @property
    def after(self) -> dict:
        return (self.data or {}).get("after") or {}

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.kind} {self.at:%Y-%m-%d %H:%M}>"


class NoticesSeen(db.Model):
    """When a person last saw their home page: notices are what happened since."""

    __tablename__ = "notices_seen"

    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
