"""The start times offered in a free window of the phone's day list (pure, wall minutes).

A window "libre 08:00–20:00" offers its own start, then each full hour inside it (or each
booking step, when the resource's step is longer than an hour), as long as the resource's
minimum duration still fits before the window's end. Nothing in the past or inside the
resource's notice period is offered: `now` is passed in.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pole.bookings.rules.windows import Window

HOUR = 60
DAY_END = 1440


def _up(minute: int, step: int) -> int:
    return -(-minute // step) * step


def earliest_start(
    day: date, now: datetime, tz: ZoneInfo, *, notice: int = 0, step: int = 1
) -> int:
    """The first wall minute of `day` a booking may start at, seen at `now` (an aware instant).

    0 when the whole day is far enough ahead, past the day's end when none of it is.
    """
    earliest = (now + timedelta(minutes=notice)).astimezone(tz)
    if earliest.date() < day:
        return 0
    if earliest.date() > day:
        return DAY_END + 1
    minutes = earliest.hour * HOUR + earliest.minute
    if earliest.second or earliest.microsecond:
        minutes += 1
    return _up(minutes, max(step, 1))


def start_times(
    window: Window,
    day: date,
    now: datetime,
    tz: ZoneInfo,
    *,
    step: int = 1,
    min_length: int = 0,
    notice: int = 0,
    earliest: int | None = None,
) -> list[int]:
    """The starts a person may pick in `window` on `day`: its start, then each hour (or step).

    `earliest` is earliest_start(day, now, tz, notice=notice, step=step) when the caller has
    it already (the same for every window of a resource's day).
    """
    step = max(step, 1)
    spacing = step if step > HOUR else HOUR
    latest = window.end - max(min_length, 1)  # the last start that still leaves the minimum
    if earliest is None:
        earliest = earliest_start(day, now, tz, notice=notice, step=step)
    first = window.start if window.start >= earliest else _up(earliest, step)
    if first > latest:
        return []
    starts = [first]
    for mark in range(_up(first + 1, spacing), latest + 1, spacing):
        mark = _up(mark, step)  # on the booking grid, should the step not divide the hour
        if starts[-1] < mark <= latest:
            starts.append(mark)
    return starts


__all__ = ["earliest_start", "start_times"]
