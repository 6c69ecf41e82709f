"""The iCal change stamp: a row that calendars copy says when, and how often, it changed.

Calendar apps replace their copy of an event only when its SEQUENCE grows, and the feed
cache's version reads `sequence` and `updated_at`. So any change of such a row bumps both,
at flush time, whoever made it: no service has to remember. The time is the write
transaction's `now` (`write_transaction(now=...)`), else the clock.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy import event

from pole.db import UTCDateTime, change_time, utcnow

# Columns that are the stamp itself, or that no calendar shows.
UNSTAMPED = frozenset({"sequence", "updated_at", "created_at"})


class ChangeStamped:
    """A mixin for rows shown in calendar feeds: their `sequence` and change times."""

    sequence: so.Mapped[int] = so.mapped_column(default=0)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    def stamp_change(self, now: datetime) -> None:
        """Tell calendars this event changed: a higher SEQUENCE, a new LAST-MODIFIED."""
        self.sequence = (self.sequence or 0) + 1
        self.updated_at = now


def changed(row: ChangeStamped) -> bool:
    """Whether a column of the row changed since it was loaded, the stamp left aside."""
    state = sa.inspect(row)
    return any(
        state.attrs[column.key].history.has_changes()
        for column in state.mapper.column_attrs
        if column.key not in UNSTAMPED
    )


def stamped_by_hand(row: ChangeStamped) -> bool:
    return sa.inspect(row).attrs["sequence"].history.has_changes()


@event.listens_for(so.Session, "before_flush")
def _stamp_changes(session: so.Session, _context: object, _instances: object) -> None:
    now = None
    for row in session.dirty:
        if isinstance(row, ChangeStamped) and not stamped_by_hand(row) and changed(row):
            now = now or change_time()
            row.stamp_change(now)
