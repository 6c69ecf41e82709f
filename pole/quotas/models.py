"""Quotas and the named groups of resources they may cover."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from pole.db import UTCDateTime, db, utcnow
from pole.organisations.models import Organisation
from pole.resources.models import Resource

PERIODS = ("week", "month", "season")
PERIOD_LABELS = {"week": "Par semaine", "month": "Par mois", "season": "Sur une saison"}
UNITS = ("hours", "bookings")
UNIT_LABELS = {"hours": "Heures", "bookings": "Réservations"}
QUOTA_KINDS = ("association", "partner")

resource_group_member = sa.Table(
    "resource_group_member",
    db.metadata,
    sa.Column("group_id", sa.ForeignKey("resource_group.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("resource_id", sa.ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True),
)


class ResourceGroup(db.Model):
    """Resources counted together by a quota, e.g. « les deux bureaux »."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    members: so.Mapped[list[Resource]] = so.relationship(
        secondary=resource_group_member, order_by="Resource.position, Resource.id"
    )


class Quota(db.Model):
    """How much of a resource (or group) an organisation, or every one of a kind, may hold."""

    __table_args__ = (
        sa.CheckConstraint("(organisation_id IS NULL) <> (organisation_kind IS NULL)", name="who"),
        sa.CheckConstraint("(resource_id IS NULL) <> (group_id IS NULL)", name="what"),
        sa.CheckConstraint("period IN ('week', 'month', 'season')", name="period"),
        sa.CheckConstraint("unit IN ('hours', 'bookings')", name="unit"),
        sa.CheckConstraint("maximum >= 0", name="maximum"),
        sa.CheckConstraint(
            "organisation_kind IS NULL OR organisation_kind IN ('association', 'partner')",
            name="kind",
        ),
        sa.CheckConstraint(
            "period <> 'season' OR (season_start IS NOT NULL AND season_end >= season_start)",
            name="season",
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    organisation_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    organisation_kind: so.Mapped[str | None] = so.mapped_column(sa.String(12))
    resource_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("resource.id", ondelete="CASCADE"), index=True
    )
    group_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("resource_group.id", ondelete="CASCADE"), index=True
    )
    period: so.Mapped[str] = so.mapped_column(sa.String(10), default="month")
    season_start: so.Mapped[date | None] = so.mapped_column(sa.Date)
    season_end: so.Mapped[date | None] = so.mapped_column(sa.Date)  # inclusive
    unit: so.Mapped[str] = so.mapped_column(sa.String(10), default="hours")
    maximum: so.Mapped[int] = so.mapped_column()
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    organisation: so.Mapped[Organisation | None] = so.relationship()
    resource: so.Mapped[Resource | None] = so.relationship()
    group: so.Mapped[ResourceGroup | None] = so.relationship()
