"""Sites, their bookable resources with their policy, and closures."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from pole.bookings.rules import UNIT_PLURAL, UNIT_SINGULAR, quantity_text
from pole.db import UTCDateTime, db, utcnow
from pole.formatting import format_duration, format_hhmm

RESOURCE_KINDS = ("room", "equipment")
# Opening hours are stored as {"0": [[480, 1140]], ...}: weekday (0 = Monday) to local
# minute intervals [open, close). A weekday that is absent is closed.
DEFAULT_OPENING_HOURS = {str(day): [[8 * 60, 19 * 60]] for day in range(6)}


class Site(db.Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    address: so.Mapped[str] = so.mapped_column(sa.String(255), default="")
    timezone: so.Mapped[str] = so.mapped_column(sa.String(64), default="Europe/Paris")
    # How to get there, for the public page: bus lines, parking, the entrance.
    directions: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    resources: so.Mapped[list[Resource]] = so.relationship(
        back_populates="site", order_by="Resource.position, Resource.id"
    )

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Resource(db.Model):
    __table_args__ = (
        sa.CheckConstraint("kind IN ('room', 'equipment')", name="kind"),
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        sa.CheckConstraint("granularity_minutes >= 5", name="granularity_positive"),
        sa.CheckConstraint("min_duration_minutes <= max_duration_minutes", name="durations"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    site_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("site.id"), index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(12), default="room")
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # Keys, alarm, where things are, cleaning: in the mail of each booking made.
    practical_info: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    capacity: so.Mapped[int | None] = so.mapped_column()  # people, for rooms
    quantity: so.Mapped[int] = so.mapped_column(default=1)  # units lent at once
    # What one unit and several units are called: "table pliante", "tables pliantes".
    unit_singular: so.Mapped[str] = so.mapped_column(sa.String(60), default=UNIT_SINGULAR)
    unit_plural: so.Mapped[str] = so.mapped_column(sa.String(60), default=UNIT_PLURAL)
    position: so.Mapped[int] = so.mapped_column(default=0)
    is_active: so.Mapped[bool] = so.mapped_column(default=True)

    # Policy.
    opening_hours: so.Mapped[dict] = so.mapped_column(
        sa.JSON, default=lambda: dict(DEFAULT_OPENING_HOURS)
    )
    granularity_minutes: so.Mapped[int] = so.mapped_column(default=15)
    min_duration_minutes: so.Mapped[int] = so.mapped_column(default=15)
    max_duration_minutes: so.Mapped[int] = so.mapped_column(default=12 * 60)
    max_days_ahead: so.Mapped[int] = so.mapped_column(default=365)
    min_notice_minutes: so.Mapped[int] = so.mapped_column(default=0)
    buffer_minutes: so.Mapped[int] = so.mapped_column(default=0)
    requires_approval: so.Mapped[bool] = so.mapped_column(default=False)
    allowed_kinds: so.Mapped[list] = so.mapped_column(
        sa.JSON, default=lambda: ["association", "ccas"]
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    site: so.Mapped[Site] = so.relationship(back_populates="resources")

    @property
    def is_room(self) -> bool:
        return self.kind == "room"

    @property
    def kind_label(self) -> str:
        return "Salle" if self.is_room else "Matériel partagé"

    @property
    def units(self) -> tuple[str, str]:
        """(singular, plural) of one unit, "unité(s)" when none is given."""
        return (self.unit_singular or UNIT_SINGULAR, self.unit_plural or UNIT_PLURAL)

    def quantity_label(self, n: int) -> str:
        """ "1 table pliante", "10 tables pliantes"."""
        return quantity_text(n, *self.units)

    def hours_for(self, weekday: int) -> list[tuple[int, int]]:
        return [tuple(interval) for interval in self.opening_hours.get(str(weekday), [])]

    def hours_text(self, weekday: int) -> str:
        intervals = self.hours_for(weekday)
        if not intervals:
            return "fermé"
        return ", ".join(f"{format_hhmm(a)} – {format_hhmm(b)}" for a, b in intervals)

    def policy_summary(self) -> list[str]:
        """The booking rules of this resource, in French, for its page."""
        kinds = {"association": "associations", "partner": "partenaires", "ccas": "CCAS"}
        lines = [
            "Ouvert à : " + ", ".join(kinds[k] for k in self.allowed_kinds if k in kinds) + ".",
            f"Réservation par pas de {format_duration(self.granularity_minutes)}, "
            f"de {format_duration(self.min_duration_minutes)} "
            f"à {format_duration(self.max_duration_minutes)}.",
            f"Réservable jusqu'à {self.max_days_ahead} jours à l'avance.",
        ]
        if self.min_notice_minutes:
            lines.append(f"À réserver au moins {format_duration(self.min_notice_minutes)} avant.")
        if self.buffer_minutes:
            lines.append(
                f"{format_duration(self.buffer_minutes).capitalize()} restent libres après chaque "
                "usage (rangement, nettoyage)."
            )
        if self.requires_approval:
            lines.append("Chaque réservation est validée par la gestion du bâtiment.")
        return lines

    def __repr__(self) -> str:
        return f"<Resource {self.name}>"


class Closure(db.Model):
    """A period when a whole site, or one resource, cannot be booked."""

    __table_args__ = (sa.CheckConstraint('"end" > start', name="period"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    site_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("site.id"), index=True)
    resource_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("resource.id", ondelete="CASCADE"), index=True
    )
    start: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    end: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    reason: so.Mapped[str] = so.mapped_column(sa.String(200))
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    site: so.Mapped[Site] = so.relationship()
    resource: so.Mapped[Resource | None] = so.relationship()

    def meets(self, booking: object) -> bool:
        """Whether a booking falls, even partly, within this closure (Python twin of below)."""
        return booking.start < self.end and booking.end > self.start

    @classmethod
    def overlapping(cls, start: object, end: object) -> sa.ColumnElement[bool]:
        """SQL twin of bookings.rules.overlaps: closures that meet [start, end)."""
        return sa.and_(cls.start < end, cls.end > start)
