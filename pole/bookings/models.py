"""Bookings and the recurring series they may belong to."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects.postgresql import ExcludeConstraint

from pole.auth.models import User
from pole.core.stamps import ChangeStamped
from pole.db import UTCDateTime, db, utcnow
from pole.organisations.models import Organisation
from pole.resources.models import Resource

STATUSES = ("pending", "confirmed", "cancelled", "rejected")
ACTIVE_STATUSES = ("pending", "confirmed")  # statuses that hold the slot
# The longest a booking may last: the resource form's largest maximum duration, which
# check_booking enforces on every booking, and the database refuses beyond it (ck_booking_length).
LONGEST_BOOKING = timedelta(days=31)
# The longest buffer a resource may keep free after each use (the resource form's bound).
LONGEST_BUFFER = timedelta(hours=24)
# The longest a booking can hold its resource. Reads of a window start their (resource_id,
# start) index scan that long before the window instead of at the resource's first booking;
# tests/test_window_bound.py ties it to the form.
LONGEST_OCCUPATION = LONGEST_BOOKING + LONGEST_BUFFER
STATUS_LABELS = {
    "pending": "En attente de validation",
    "confirmed": "Confirmée",
    "cancelled": "Annulée",
    "rejected": "Refusée",
}


class Series(db.Model):
    """A recurring booking; each of its occurrences is a Booking row."""

    __table_args__ = (sa.CheckConstraint("freq IN ('weekly', 'monthly')", name="freq"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    resource_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("resource.id"), index=True)
    organisation_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("organisation.id"), index=True)
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    title: so.Mapped[str] = so.mapped_column(sa.String(120))
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    is_public: so.Mapped[bool] = so.mapped_column(default=False)
    quantity: so.Mapped[int] = so.mapped_column(default=1)
    # The rule, in local wall time of the site.
    freq: so.Mapped[str] = so.mapped_column(sa.String(10))
    interval: so.Mapped[int] = so.mapped_column(default=1)
    weekdays: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    month_week: so.Mapped[int | None] = so.mapped_column()
    first_day: so.Mapped[date] = so.mapped_column(sa.Date)
    until: so.Mapped[date | None] = so.mapped_column(sa.Date)
    count: so.Mapped[int | None] = so.mapped_column()
    start_time: so.Mapped[str] = so.mapped_column(sa.String(5))  # "08:30"
    end_time: so.Mapped[str] = so.mapped_column(sa.String(5))
    skipped: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)  # ISO dates
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    resource: so.Mapped[Resource] = so.relationship()
    organisation: so.Mapped[Organisation] = so.relationship()
    created_by: so.Mapped[User | None] = so.relationship()
    bookings: so.Mapped[list[Booking]] = so.relationship(
        back_populates="series", order_by="Booking.start"
    )


class Booking(ChangeStamped, db.Model):
    """One booking of a resource for an organisation; feeds show it (ChangeStamped)."""

    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('pending', 'confirmed', 'cancelled', 'rejected')", name="status"
        ),
        sa.CheckConstraint('"end" > start', name="period"),
        sa.CheckConstraint('occupied_until >= "end"', name="occupied_until"),
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        # No booking lasts longer than LONGEST_BOOKING, whatever writes it. SQLite keeps times
        # as text: their difference is counted in whole milliseconds of julian days.
        sa.CheckConstraint(
            f"\"end\" - start <= interval '{LONGEST_BOOKING.days} days'", name="length"
        ).ddl_if(dialect="postgresql"),
        sa.CheckConstraint(
            'round((julianday("end") - julianday(start)) * 86400000) <= '
            f"{LONGEST_BOOKING // timedelta(milliseconds=1)}",
            name="length",
        ).ddl_if(dialect="sqlite"),
        # A resource's bookings that occupy part of a window: the range of starts (bounded
        # below by LONGEST_OCCUPATION), and the end of each occupation read in the index too,
        # so that only the rows that meet the window are fetched (`Booking.occupying`).
        sa.Index("ix_booking_resource_start_until", "resource_id", "start", "occupied_until"),
        sa.Index("ix_booking_organisation_start", "organisation_id", "start"),
        # The feeds' version also counts what changed today, wherever it now starts.
        sa.Index("ix_booking_resource_updated_at", "resource_id", "updated_at"),
        sa.Index("ix_booking_organisation_updated_at", "organisation_id", "updated_at"),
        # The personal feeds (what a person booked) and each site's public agenda, bounded
        # by the same two ranges. The public ones are few: a partial index, whose WHERE is
        # written as each database renders `Booking.is_public.is_(True)`.
        sa.Index("ix_booking_created_by_start", "created_by_id", "start"),
        sa.Index("ix_booking_created_by_updated_at", "created_by_id", "updated_at"),
        sa.Index(
            "ix_booking_public_start",
            "start",
            postgresql_where=sa.text("is_public IS true"),
            sqlite_where=sa.text("is_public IS 1"),
        ),
        sa.Index(
            "ix_booking_public_updated_at",
            "updated_at",
            postgresql_where=sa.text("is_public IS true"),
            sqlite_where=sa.text("is_public IS 1"),
        ),
        # Last line of defence on PostgreSQL: two active bookings of an exclusive resource
        # (a room, or equipment with a single unit) never overlap, buffer included.
        ExcludeConstraint(
            (sa.column("resource_id"), "="),
            (sa.func.tstzrange(sa.column("start"), sa.column("occupied_until"), "[)"), "&&"),
            name="ex_booking_no_overlap",
            using="gist",
            where=sa.text("exclusive AND status IN ('pending', 'confirmed')"),
        ).ddl_if(dialect="postgresql"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    resource_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("resource.id"))
    organisation_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("organisation.id"))
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    series_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("series.id", ondelete="SET NULL"), index=True
    )
    title: so.Mapped[str] = so.mapped_column(sa.String(120))
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    is_public: so.Mapped[bool] = so.mapped_column(default=False)
    start: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    end: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    # end + the resource's buffer when booked: what the booking keeps busy.
    occupied_until: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    quantity: so.Mapped[int] = so.mapped_column(default=1)
    exclusive: so.Mapped[bool] = so.mapped_column(default=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default="confirmed")
    decided_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    decision_note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    expected_people: so.Mapped[int | None] = so.mapped_column()
    # Why the manager booked (or approved) beyond an organisation's quota; kept and shown.
    quota_override_note: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    resource: so.Mapped[Resource] = so.relationship()
    organisation: so.Mapped[Organisation] = so.relationship()
    created_by: so.Mapped[User | None] = so.relationship(foreign_keys=[created_by_id])
    decided_by: so.Mapped[User | None] = so.relationship(foreign_keys=[decided_by_id])
    series: so.Mapped[Series | None] = so.relationship(back_populates="bookings")

    @classmethod
    def occupying(cls, start: object, end: object, since: object = None) -> sa.ColumnElement[bool]:
        """SQL twin of rules.overlaps: active bookings whose occupied span meets [start, end).

        `since` (start − LONGEST_OCCUPATION unless given, e.g. as a bind parameter) is a lower
        bound on the start: no booking that starts that early can reach the window.
        """
        if since is None:
            since = start - LONGEST_OCCUPATION
        return sa.and_(
            cls.status.in_(ACTIVE_STATUSES),
            cls.start > since,
            cls.start < end,
            cls.occupied_until > start,
        )

    @classmethod
    def overlapping(cls, start: object, end: object) -> sa.ColumnElement[bool]:
        """SQL twin of rules.overlaps for the booking itself, buffer not counted, any status."""
        return sa.and_(cls.start < end, cls.end > start)

    # Nothing lasts longer than LONGEST_BOOKING (a CHECK): a booking that has not ended at a
    # given instant began at most that long before it. The two below say so to the database,
    # whose index of starts then reads a range bounded on both sides; without the bound it
    # read every booking ever made before the window, a number that only grows with the years.

    @classmethod
    def meeting(cls, start: datetime, end: datetime) -> sa.ColumnElement[bool]:
        """`overlapping` [start, end), any status, on a range of starts bounded below."""
        return sa.and_(cls.start >= start - LONGEST_BOOKING, cls.overlapping(start, end))

    @classmethod
    def not_over(cls, now: object, since: object = None) -> sa.ColumnElement[bool]:
        """Bookings (any status) whose time has not ended at `now`: to come, or under way.

        `since` (now − LONGEST_BOOKING unless given, e.g. as a bind parameter) is the lower
        bound on the start.
        """
        if since is None:
            since = now - LONGEST_BOOKING
        return sa.and_(cls.start >= since, cls.end > now)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_pending(self) -> bool:
        return self.status == "pending"

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def __repr__(self) -> str:
        return f"<Booking {self.id} {self.resource_id} {self.start:%Y-%m-%d %H:%M}>"
