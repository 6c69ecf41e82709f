"""Moving the dates of a series together: no clash between them, the same wall-clock hours."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pole.bookings.rules.periods import overlaps
from pole.core.refusals import Reason
from pole.timeutil import local_to_utc, to_local


def clash_within_series(
    start: datetime,
    end: datetime,
    others: Sequence[tuple[datetime, datetime]],
    buffer: timedelta,
    is_room: bool,
) -> Reason | None:
    """Two dates of one series moved together must not clash, cleaning time included."""
    if not is_room:
        return None
    for other_start, other_end in others:
        if overlaps(start, end + buffer, other_start, other_end + buffer):
            return Reason("overlap", "start", "Deux dates de la série se chevauchent.")
    return None


def keep_wall_times(
    occurrence_start: datetime, new_start: datetime, new_end: datetime, tz: ZoneInfo
) -> tuple[datetime, datetime]:
    """A series moved to 14:00 keeps each date and takes 14:00 local time on it.

    Raises NonexistentLocalTime when the new hours do not exist on that date.
    """
    day = to_local(occurrence_start, tz).date()
    start_local, end_local = to_local(new_start, tz), to_local(new_end, tz)
    extra_days = (end_local.date() - start_local.date()).days
    start = local_to_utc(day, start_local.time(), tz)
    end = local_to_utc(day + timedelta(days=extra_days), end_local.time(), tz)
    return start, end
