"""Wall times that a day of a time zone skips (the spring-forward hour), for the grids."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pole.timeutil import MINUTES_PER_DAY, NonexistentLocalTime, combine_minutes


def missing_times(
    day: date, tz: ZoneInfo, bounds: tuple[datetime, datetime]
) -> list[tuple[int, int]]:
    """Wall times that never happen on this day (the spring-forward hour)."""
    start, end = bounds
    if end - start >= timedelta(days=1):
        return []
    gaps: list[tuple[int, int]] = []
    for minute in range(0, MINUTES_PER_DAY, 15):
        try:
            combine_minutes(day, minute, tz)
        except NonexistentLocalTime:
            if gaps and gaps[-1][1] == minute:
                gaps[-1] = (gaps[-1][0], minute + 15)
            else:
                gaps.append((minute, minute + 15))
    return gaps
