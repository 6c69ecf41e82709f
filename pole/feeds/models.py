"""Secret, revocable links to calendar feeds."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from pole.auth.models import User
from pole.db import UTCDateTime, db, utcnow
from pole.organisations.models import Organisation
from pole.resources.models import Resource

FEED_KINDS = ("organisation", "resource", "social_worker", "personal")
# A member's own link opens her organisation's feed: one more kind of link, not of feed.
LINK_KINDS = (*FEED_KINDS, "member")


class FeedToken(db.Model):
    """One secret feed link. The link is `<selector>.<verifier>`: the selector finds the row,
    the verifier is kept only as a SHA-256 hash and compared in constant time."""

    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('organisation', 'resource', 'social_worker', 'personal', 'member')",
            name="kind",
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))
    selector: so.Mapped[str] = so.mapped_column(sa.String(24), unique=True)
    verifier_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    organisation_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    resource_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("resource.id", ondelete="CASCADE"), index=True
    )
    # Whose link: the person of a personal or social-worker feed, or the member holding her own
    # link to her organisation's calendar (kind "member": it dies when she leaves it).
    user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    organisation: so.Mapped[Organisation | None] = so.relationship()
    resource: so.Mapped[Resource | None] = so.relationship()
    user: so.Mapped[User | None] = so.relationship(foreign_keys=[user_id])

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class FeedRateBucket(db.Model):
    """One link's token bucket (POLE_FEED_RATE_LIMIT), shared by every process: `tokens` left
    at `at` (seconds since the epoch), and whether the last request took one."""

    selector: so.Mapped[str] = so.mapped_column(sa.String(24), primary_key=True)
    tokens: so.Mapped[float] = so.mapped_column(sa.Float)
    at: so.Mapped[float] = so.mapped_column(sa.Float)
    granted: so.Mapped[bool] = so.mapped_column(sa.Boolean)


class FeedGeneration(db.Model):
    """One row: a number bumped in the transaction of any change that rewrites feeds beyond
    their bookings and appointments (a room, an organisation or a site renamed). Built feeds
    are cached by it, so every process sees the change at its commit."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    value: so.Mapped[int] = so.mapped_column(sa.BigInteger)
