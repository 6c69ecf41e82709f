"""Periods of time: when two overlap, and how a period is said in French."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pole.formatting import format_day, format_hhmm
from pole.timeutil import minutes_of_day, to_local


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Two periods overlap when each starts before the other ends; touching is not overlapping."""
    return a_start < b_end and b_start < a_end


def period_text(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    """A period in local time, as short as it can be said ('le mar. 24/11 de 10:00 à 12:00')."""
    local_start, local_end = to_local(start, tz), to_local(end, tz)
    whole_days = minutes_of_day(local_start) == 0 and minutes_of_day(local_end) == 0
    if whole_days:
        last_day = local_end.date() - timedelta(days=1)
        if last_day <= local_start.date():
            return f"le {format_day(local_start.date())}"
        return f"du {format_day(local_start.date())} au {format_day(last_day)}"
    first, at, until = (
        format_day(local_start.date()),
        format_hhmm(local_start),
        format_hhmm(local_end),
    )
    if local_start.date() == local_end.date():
        return f"le {first} de {at} à {until}"
    return f"du {first} à {at} au {format_day(local_end.date())} à {until}"


def times_text(start: datetime, end: datetime, tz: ZoneInfo, ref_day: date) -> str:
    """'de 10:00 à 12:00' when on the request's day, otherwise with the dates."""
    local_start, local_end = to_local(start, tz), to_local(end, tz)
    if local_start.date() == ref_day and local_end.date() == ref_day:
        return f"de {format_hhmm(local_start)} à {format_hhmm(local_end)}"
    return period_text(start, end, tz)
