"""People who log in."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from pole.db import UTCDateTime, db, utcnow
from pole.sites.models import ManagerSite

if TYPE_CHECKING:
    from pole.organisations.models import Membership, Organisation


def new_session_token() -> str:
    return secrets.token_urlsafe(16)


class User(db.Model):
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    phone: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
    password_hash: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    is_manager: so.Mapped[bool] = so.mapped_column(default=False)
    is_social_worker: so.Mapped[bool] = so.mapped_column(default=False)
    is_active: so.Mapped[bool] = so.mapped_column(default=True)
    # Part of the login session id: rotating it logs out every session of this person.
    session_token: so.Mapped[str] = so.mapped_column(sa.String(32), default=new_session_token)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    last_login_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # The site last chosen in the site picker: kept here so it follows the person everywhere.
    # A preference, not a link: no foreign key, so that adding it leaves the user table as it
    # is on SQLite (no copy of the table); an id that is no longer a site means the first one.
    site_id: so.Mapped[int | None] = so.mapped_column()

    memberships: so.Mapped[list[Membership]] = so.relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    # The sites a manager is limited to; none means every site.
    site_limits: so.Mapped[list[ManagerSite]] = so.relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    # Flask-Login protocol.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def rotate_session_token(self) -> None:
        self.session_token = new_session_token()

    def organisations(self) -> list[Organisation]:
        return sorted((m.organisation for m in self.memberships), key=lambda o: o.sort_key)

    def role_in(self, organisation_id: int) -> str | None:
        for membership in self.memberships:
            if membership.organisation_id == organisation_id:
                return membership.role
        return None

    @property
    def limited_to_sites(self) -> frozenset[int]:
        """The ids of the sites this manager is limited to; empty means every site."""
        return frozenset(limit.site_id for limit in self.site_limits)

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class LoginThrottle(db.Model):
    """Failed logins counted for one account or one client address, shared by every worker."""

    scope: so.Mapped[str] = so.mapped_column(sa.String(8), primary_key=True)
    key: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)  # sha256, see rules
    failures: so.Mapped[int] = so.mapped_column(default=0)
    last_failure_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<LoginThrottle {self.scope} {self.key[:8]} {self.failures}>"
