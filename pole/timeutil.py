"""Wall-clock time in the building's time zone versus instants stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from pole.formatting import MINUTES_PER_DAY, format_hhmm, format_numeric_date

# UTC is datetime.UTC (the same object as timezone.utc), re-exported for callers.


class NonexistentLocalTime(ValueError):
    """A wall time that the clocks skip when they jump forward to summer time."""

    def __init__(self, day: date, t: time) -> None:
        self.day = day
        self.time = t
        super().__init__(str(self))

    def __str__(self) -> str:
        return (
            f"Le {format_numeric_date(self.day)} à {format_hhmm(self.time)} n'existe pas : "
            "c'est la nuit du passage à l'heure d'été."
        )


def _require_aware(dt: datetime, name: str = "dt") -> None:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {dt!r}")


def local_to_utc(day: date, t: time, tz: ZoneInfo) -> datetime:
    """A local wall time as an aware UTC instant; an ambiguous autumn time means the first one.

    On the night clocks go back (e.g. 2026-10-25 in Europe/Paris) 02:30 happens twice;
    we pick the first occurrence (fold=0, still summer time, UTC+2), so 02:30 -> 00:30 UTC.
    A wall time skipped in spring raises NonexistentLocalTime.
    """
    naive = datetime.combine(day, t.replace(tzinfo=None, fold=0))
    result = naive.replace(tzinfo=tz).astimezone(UTC)
    # zoneinfo silently maps a skipped time to some instant; only a round trip reveals the gap.
    if result.astimezone(tz).replace(tzinfo=None) != naive:
        raise NonexistentLocalTime(day, t.replace(tzinfo=None, fold=0))
    return result


def _first_instant_at_or_after(day: date, t: time, tz: ZoneInfo) -> datetime:
    """A skipped wall time counts as the moment the clocks jump forward."""
    try:
        return local_to_utc(day, t, tz)
    except NonexistentLocalTime:
        pass
    naive = datetime.combine(day, t.replace(tzinfo=None))
    # fold=1 reads the wall time with the offset after the jump, which lands before the jump;
    # fold=0 lands after it. The jump happens in between, on a whole minute.
    low = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    high = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    after_offset = high.astimezone(tz).utcoffset()
    while high - low > timedelta(minutes=1):
        mid = low + (high - low) / 2
        mid = mid.replace(second=0, microsecond=0)
        if mid <= low:
            mid = low + timedelta(minutes=1)
        if mid.astimezone(tz).utcoffset() == after_offset:
            high = mid
        else:
            low = mid
    return high


def to_local(dt: datetime, tz: tzinfo) -> datetime:
    """An aware instant as wall-clock time in the given zone."""
    _require_aware(dt)
    return dt.astimezone(tz)


def minutes_of_day(dt_local: datetime) -> int:
    """Minutes since local midnight shown on the wall clock (10:30 -> 630)."""
    return dt_local.hour * 60 + dt_local.minute


def local_day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """A local day runs from its midnight to the next one, 23 or 25 hours on clock-change days."""
    start = _first_instant_at_or_after(day, time(0, 0), tz)
    end = _first_instant_at_or_after(day + timedelta(days=1), time(0, 0), tz)
    return start, end


def combine_minutes(day: date, minutes: int, tz: ZoneInfo, *, shift_gap: bool = False) -> datetime:
    """Local minute of a day (0..1440, 1440 being the next midnight) as an aware UTC instant.

    A skipped spring wall time raises NonexistentLocalTime, or with shift_gap=True becomes
    the moment the clocks jump (useful for opening-hour edges).
    """
    if not 0 <= minutes <= MINUTES_PER_DAY:
        raise ValueError(f"minutes must be within 0..1440, got {minutes}")
    if minutes == MINUTES_PER_DAY:
        return local_day_bounds(day, tz)[1]
    t = time(minutes // 60, minutes % 60)
    if shift_gap:
        return _first_instant_at_or_after(day, t, tz)
    return local_to_utc(day, t, tz)
