"""Organisations of the building, their members and invitations."""

from __future__ import annotations

import unicodedata
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from pole.auth.models import User
from pole.db import UTCDateTime, db, utcnow

ORGANISATION_KINDS = ("association", "partner", "ccas")
KIND_LABELS = {"association": "Association", "partner": "Partenaire", "ccas": "CCAS"}
ROLES = ("volunteer", "coordinator")
ROLE_LABELS = {"volunteer": "Bénévole", "coordinator": "Coordinateur·rice"}


class Organisation(db.Model):
    __table_args__ = (
        sa.CheckConstraint("kind IN ('association', 'partner', 'ccas')", name="kind"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(12))
    name: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True)
    short_name: so.Mapped[str] = so.mapped_column(sa.String(40))
    colour: so.Mapped[str] = so.mapped_column(sa.String(7), default="#4a5568")
    email: so.Mapped[str] = so.mapped_column(sa.String(254), default="")
    is_active: so.Mapped[bool] = so.mapped_column(default=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    # The public page: the manager decides who appears; the coordinator writes the rest.
    public_shown: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    public_presentation: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    public_offer: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    public_audience: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    public_hours: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")
    public_contact: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")

    memberships: so.Mapped[list[Membership]] = so.relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def sort_key(self) -> str:
        """Files "Épicerie" under E, as a French reader expects (databases put É after Z)."""
        letters = unicodedata.normalize("NFKD", self.name)
        return "".join(c for c in letters if not unicodedata.combining(c)).casefold()

    def __repr__(self) -> str:
        return f"<Organisation {self.short_name}>"


class Membership(db.Model):
    __table_args__ = (
        sa.UniqueConstraint("user_id", "organisation_id", name="uq_membership_user_organisation"),
        sa.CheckConstraint("role IN ('volunteer', 'coordinator')", name="role"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    role: so.Mapped[str] = so.mapped_column(sa.String(12), default="volunteer")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    user: so.Mapped[User] = so.relationship(back_populates="memberships")
    organisation: so.Mapped[Organisation] = so.relationship(back_populates="memberships")

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]


class Invitation(db.Model):
    """An e-mail invitation to join an organisation; the link carries its signed id."""

    __table_args__ = (sa.CheckConstraint("role IN ('volunteer', 'coordinator')", name="role"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    email: so.Mapped[str] = so.mapped_column(sa.String(254))
    name: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    role: so.Mapped[str] = so.mapped_column(sa.String(12), default="volunteer")
    invited_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    accepted_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    organisation: so.Mapped[Organisation] = so.relationship()
    invited_by: so.Mapped[User | None] = so.relationship()

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None
