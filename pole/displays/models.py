"""Door displays: a secret, revocable link that shows one room's day on a tablet."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from pole.auth.models import User
from pole.db import UTCDateTime, db, utcnow
from pole.resources.models import Resource


class DisplayLink(db.Model):
    """One door display link, `<selector>.<verifier>` like a feed link: only a hash is kept."""

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    resource_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("resource.id", ondelete="CASCADE"), index=True
    )
    selector: so.Mapped[str] = so.mapped_column(sa.String(24), unique=True)
    verifier_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    resource: so.Mapped[Resource] = so.relationship()
    created_by: so.Mapped[User | None] = so.relationship()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
