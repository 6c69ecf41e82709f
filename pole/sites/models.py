"""Who belongs to which site: managers limited to some sites, organisations working in some.

In both tables, no row means every site: the managers and organisations that existed before
there were several buildings keep everything they had.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from pole.db import db


class ManagerSite(db.Model):
    """A manager limited to this site (among the others they are limited to)."""

    __tablename__ = "user_site"

    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("site.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class OrganisationSite(db.Model):
    """An organisation that works in this site (among the others it works in)."""

    __tablename__ = "organisation_site"

    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("site.id", ondelete="CASCADE"), primary_key=True, index=True
    )
