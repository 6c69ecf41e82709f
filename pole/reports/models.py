"""What a resource is worth from a date, and the anonymous counts kept of purged appointments."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from pole.db import UTCDateTime, db, utcnow
from pole.reports import rules
from pole.resources.models import Resource


class ResourceValue(db.Model):
    """A resource's value from `valid_from` on (per hour, or per half-day and day), in cents."""

    __tablename__ = "resource_value"
    __table_args__ = (
        sa.UniqueConstraint("resource_id", "valid_from", name="uq_resource_value_day"),
        sa.CheckConstraint(
            "per_hour_cents IS NOT NULL OR per_half_day_cents IS NOT NULL "
            "OR per_day_cents IS NOT NULL",
            name="some_price",
        ),
        sa.CheckConstraint(
            "coalesce(per_hour_cents, 0) >= 0 AND coalesce(per_half_day_cents, 0) >= 0 "
            "AND coalesce(per_day_cents, 0) >= 0",
            name="prices_positive",
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    resource_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("resource.id", ondelete="CASCADE"), index=True
    )
    valid_from: so.Mapped[date] = so.mapped_column(sa.Date)
    per_hour_cents: so.Mapped[int | None] = so.mapped_column()
    per_half_day_cents: so.Mapped[int | None] = so.mapped_column()
    per_day_cents: so.Mapped[int | None] = so.mapped_column()
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    resource: so.Mapped[Resource] = so.relationship()

    def as_rule(self) -> rules.Value:
        return rules.Value(
            self.valid_from, self.per_hour_cents, self.per_half_day_cents, self.per_day_cents
        )

    @property
    def label(self) -> str:
        """'25 €/h', or '60 € la demi-journée, 100 € la journée'."""
        if self.per_hour_cents is not None:
            return f"{rules.format_euros(self.per_hour_cents)}/h"
        parts = []
        if self.per_half_day_cents is not None:
            parts.append(f"{rules.format_euros(self.per_half_day_cents)} la demi-journée")
        if self.per_day_cents is not None:
            parts.append(f"{rules.format_euros(self.per_day_cents)} la journée")
        return ", ".join(parts)


class AppointmentCount(db.Model):
    """How many appointments of a month, permanence, purpose, association and outcome were
    purged: anonymous, so the year's report outlives the retention purge."""

    __tablename__ = "appointment_count"
    __table_args__ = (sa.Index("ix_appointment_count_month", "month"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    month: so.Mapped[date] = so.mapped_column(sa.Date)  # first day of the local month
    permanence_id: so.Mapped[int] = so.mapped_column()  # no foreign key: counts outlive rows
    organisation_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="SET NULL")
    )
    purpose: so.Mapped[str] = so.mapped_column(sa.String(12))
    status: so.Mapped[str] = so.mapped_column(sa.String(10))
    count: so.Mapped[int] = so.mapped_column()
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
