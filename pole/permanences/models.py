"""Permanences of a social worker, their pattern versions, slots taken out, and appointments."""

from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
import sqlalchemy.orm as so

from pole.auth.models import User
from pole.bookings.models import Series
from pole.core.stamps import ChangeStamped
from pole.db import UTCDateTime, db, utcnow
from pole.organisations.models import Organisation
from pole.permanences import rules
from pole.resources.models import Resource

_ACTIVE_SQL = "status IN ('booked', 'seen', 'no_show')"


class Permanence(db.Model):
    """A social worker's recurring presence in a room, which volunteers book by slots."""

    __table_args__ = (
        sa.CheckConstraint("open_days_ahead >= 1", name="open_days_ahead"),
        sa.CheckConstraint("fair_share_limit >= 1", name="fair_share_limit"),
        sa.CheckConstraint("fair_share_hours >= 0", name="fair_share_hours"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(120))
    resource_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("resource.id"), index=True)
    # The CCAS that owns the room bookings.
    organisation_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("organisation.id"))
    social_worker_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id"), index=True)
    open_days_ahead: so.Mapped[int] = so.mapped_column(default=21)
    fair_share_limit: so.Mapped[int] = so.mapped_column(default=2)
    fair_share_hours: so.Mapped[int] = so.mapped_column(default=48)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    resource: so.Mapped[Resource] = so.relationship()
    organisation: so.Mapped[Organisation] = so.relationship()
    social_worker: so.Mapped[User] = so.relationship()
    patterns: so.Mapped[list[PermanencePattern]] = so.relationship(
        back_populates="permanence", order_by="PermanencePattern.valid_from"
    )

    @property
    def fair_share(self) -> rules.FairShare:
        return rules.FairShare(self.fair_share_limit, self.fair_share_hours)

    def rule_patterns(self) -> list[rules.Pattern]:
        return [p.as_rule() for p in self.patterns]

    def __repr__(self) -> str:
        return f"<Permanence {self.id} {self.title}>"


class PermanencePattern(db.Model):
    """The pattern of a permanence from one date on, and the room series it booked.

    Changing the pattern from a date ends the current version the day before and adds one.
    """

    __tablename__ = "permanence_pattern"
    __table_args__ = (
        sa.CheckConstraint("slot_minutes IN (15, 20, 30, 45, 60)", name="slot_minutes"),
        sa.CheckConstraint("until >= valid_from", name="period"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    permanence_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("permanence.id", ondelete="CASCADE"), index=True
    )
    series_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("series.id", ondelete="SET NULL")
    )
    valid_from: so.Mapped[date] = so.mapped_column(sa.Date)
    until: so.Mapped[date] = so.mapped_column(sa.Date)
    weekdays: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    start_time: so.Mapped[str] = so.mapped_column(sa.String(5))  # "14:00", local wall time
    end_time: so.Mapped[str] = so.mapped_column(sa.String(5))
    slot_minutes: so.Mapped[int] = so.mapped_column(default=30)
    pause_start: so.Mapped[str | None] = so.mapped_column(sa.String(5))
    pause_end: so.Mapped[str | None] = so.mapped_column(sa.String(5))
    # Dates left out when publishing (the room was taken): ISO dates.
    skipped: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    permanence: so.Mapped[Permanence] = so.relationship(back_populates="patterns")
    series: so.Mapped[Series | None] = so.relationship()

    def as_rule(self) -> rules.Pattern:
        return rules.Pattern(
            valid_from=self.valid_from,
            until=self.until,
            weekdays=frozenset(self.weekdays or ()),
            start=time.fromisoformat(self.start_time),
            end=time.fromisoformat(self.end_time),
            slot_minutes=self.slot_minutes,
            pause_start=time.fromisoformat(self.pause_start) if self.pause_start else None,
            pause_end=time.fromisoformat(self.pause_end) if self.pause_end else None,
            skipped=frozenset(date.fromisoformat(d) for d in self.skipped or ()),
        )


class PermanenceCancellation(db.Model):
    """One date of a permanence called off (holiday, sick day)."""

    __tablename__ = "permanence_cancellation"
    __table_args__ = (
        sa.UniqueConstraint("permanence_id", "day", name="uq_permanence_cancellation_day"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    permanence_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("permanence.id", ondelete="CASCADE")
    )
    day: so.Mapped[date] = so.mapped_column(sa.Date)
    reason: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    cancelled_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    permanence: so.Mapped[Permanence] = so.relationship()


class BlockedSlot(db.Model):
    """A slot the social worker keeps out of bookings (a meeting, an urgent case)."""

    __tablename__ = "permanence_blocked_slot"
    __table_args__ = (
        sa.UniqueConstraint("permanence_id", "start", name="uq_permanence_blocked_slot_start"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    permanence_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("permanence.id", ondelete="CASCADE")
    )
    start: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class Appointment(ChangeStamped, db.Model):
    """A slot booked by an association; the beneficiary is at most initials or a file number."""

    __table_args__ = (
        sa.CheckConstraint("status IN ('booked', 'seen', 'no_show', 'cancelled')", name="status"),
        sa.CheckConstraint(
            "purpose IN ('droits', 'logement', 'budget', 'sante', 'orientation', 'autre')",
            name="purpose",
        ),
        sa.CheckConstraint("for_whom IN ('beneficiary', 'volunteer')", name="for_whom"),
        sa.CheckConstraint('"end" > start', name="period"),
        sa.CheckConstraint("length(beneficiary_ref) <= 20", name="beneficiary_ref_length"),
        sa.CheckConstraint("length(note) <= 300", name="note_length"),
        # A slot holds one appointment: the last line of defence behind the permanence lock.
        sa.Index(
            "uq_appointment_active_slot",
            "permanence_id",
            "start",
            unique=True,
            sqlite_where=sa.text(_ACTIVE_SQL),
            postgresql_where=sa.text(_ACTIVE_SQL),
        ),
        sa.Index("ix_appointment_permanence_day", "permanence_id", "day"),
        sa.Index("ix_appointment_organisation_start", "organisation_id", "start"),
        sa.Index("ix_appointment_end", "end"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    permanence_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("permanence.id"))
    day: so.Mapped[date] = so.mapped_column(sa.Date)  # local date of the permanence
    start: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    end: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    organisation_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("organisation.id"))
    booked_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    for_whom: so.Mapped[str] = so.mapped_column(sa.String(12), default="beneficiary")
    purpose: so.Mapped[str] = so.mapped_column(sa.String(12))
    note: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    beneficiary_ref: so.Mapped[str] = so.mapped_column(sa.String(20), default="")
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default="booked")
    cancelled_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )

    permanence: so.Mapped[Permanence] = so.relationship()
    organisation: so.Mapped[Organisation] = so.relationship()
    booked_by: so.Mapped[User | None] = so.relationship(foreign_keys=[booked_by_id])

    @property
    def is_active(self) -> bool:
        return self.status in rules.ACTIVE_APPOINTMENT_STATUSES

    @property
    def purpose_label(self) -> str:
        return rules.PURPOSES[self.purpose]

    @property
    def for_whom_label(self) -> str:
        return rules.FOR_WHOM[self.for_whom]

    @property
    def status_label(self) -> str:
        return rules.APPOINTMENT_STATUS_LABELS[self.status]

    def __repr__(self) -> str:
        # Never the beneficiary reference or the note: reprs end up in logs.
        return f"<Appointment {self.id} {self.permanence_id} {self.start:%Y-%m-%d %H:%M}>"
