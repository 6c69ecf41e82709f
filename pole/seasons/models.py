"""A season's plan and the regular needs the associations ask for in it."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from pole.auth.models import User
from pole.db import UTCDateTime, db, utcnow
from pole.organisations.models import Organisation
from pole.resources.models import Resource, Site

SEASON_STATUSES = ("open", "published")
REQUEST_STATUSES = ("requested", "accepted", "declined", "withdrawn")
REQUEST_STATUS_LABELS = {
    "requested": "Demandée",
    "accepted": "Acceptée",
    "declined": "Refusée",
    "withdrawn": "Retirée",
}
# Requests the board weighs and publishing may accept; the others are listed, not counted.
LIVE_STATUSES = ("requested", "accepted")


class Season(db.Model):
    """A date range whose regular slots are decided together before a deadline."""

    __table_args__ = (
        sa.CheckConstraint("status IN ('open', 'published')", name="status"),
        sa.CheckConstraint("last_day >= first_day", name="dates"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    site_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("site.id"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    first_day: so.Mapped[date] = so.mapped_column(sa.Date)
    last_day: so.Mapped[date] = so.mapped_column(sa.Date)  # inclusive
    excluded: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)  # [[first, last] ISO]
    deadline: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default="open")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    published_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    site: so.Mapped[Site] = so.relationship()
    requests: so.Mapped[list[SeasonRequest]] = so.relationship(
        back_populates="season", order_by="SeasonRequest.id", cascade="all, delete-orphan"
    )
    messages: so.Mapped[list[SeasonMessage]] = so.relationship(
        back_populates="season", order_by="SeasonMessage.id", cascade="all, delete-orphan"
    )

    @property
    def excluded_ranges(self) -> list[tuple[date, date]]:
        return [(date.fromisoformat(a), date.fromisoformat(b)) for a, b in self.excluded or ()]


class SeasonRequest(db.Model):
    """An association's regular need: a resource on some weekdays, at some hours, for a while."""

    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('requested', 'accepted', 'declined', 'withdrawn')", name="status"
        ),
        sa.CheckConstraint("until >= from_day", name="dates"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    season_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("season.id", ondelete="CASCADE"), index=True
    )
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    resource_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("resource.id", ondelete="CASCADE"), index=True
    )
    weekdays: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)  # 0 = Monday
    start_time: so.Mapped[str] = so.mapped_column(sa.String(5))  # "HH:MM", site wall time
    end_time: so.Mapped[str] = so.mapped_column(sa.String(5))
    from_day: so.Mapped[date] = so.mapped_column(sa.Date)
    until: so.Mapped[date] = so.mapped_column(sa.Date)  # inclusive
    priority: so.Mapped[int] = so.mapped_column(default=2)  # 1 high .. 3 low
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default="requested")
    manager_note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    series_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("series.id", ondelete="SET NULL")
    )
    # What the association last asked (days, hours, dates), kept when the manager moves or
    # trims the request, so that publishing can tell it what changed.
    asked: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    season: so.Mapped[Season] = so.relationship(back_populates="requests")
    organisation: so.Mapped[Organisation] = so.relationship()
    resource: so.Mapped[Resource] = so.relationship()

    @property
    def status_label(self) -> str:
        return REQUEST_STATUS_LABELS[self.status]

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES


class SeasonMessage(db.Model):
    """What the manager wrote to some associations about the plan (a clash, a resource)."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    season_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("season.id", ondelete="CASCADE"), index=True
    )
    author_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    resource_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("resource.id", ondelete="SET NULL")
    )
    organisation_ids: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)  # the recipients
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    sent_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)

    season: so.Mapped[Season] = so.relationship(back_populates="messages")
    author: so.Mapped[User | None] = so.relationship()
    resource: so.Mapped[Resource | None] = so.relationship()
