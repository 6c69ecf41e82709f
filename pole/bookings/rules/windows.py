"""Free windows of a resource's day, and the free times a search finds (pure, wall minutes).

A day is counted in wall-clock minutes from its midnight (0 to 1440). What is booked is a list
of (start, busy until, quantity): "busy until" includes the resource's buffer (tidying,
cleaning), so it counts as occupied like the booking itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Window:
    """A stretch of free time: from start to end, with `available` units left (pooled)."""

    start: int
    end: int
    available: int | None = None

    @property
    def minutes(self) -> int:
        return self.end - self.start


def _inside(minute: int, intervals: Iterable[tuple[int, ...]]) -> bool:
    # A loop, not any() over a generator: it runs for every piece of every day of a month.
    for interval in intervals:  # noqa: SIM110
        if interval[0] <= minute < interval[1]:
            return True
    return False


def free_windows(  # noqa: C901 (one loop, written out: a month asks it for every day)
    opening: Sequence[tuple[int, int]],
    busy: Sequence[tuple[int, int, int]] = (),
    closures: Sequence[tuple[int, ...]] = (),
    missing: Sequence[tuple[int, int]] = (),
    *,
    capacity: int = 1,
    buffer: int = 0,
    bookable_from: int = 0,
    min_length: int = 0,
) -> list[Window]:
    """The free time of a day: opening hours minus bookings (buffers included) and closures.

    A window that ends where a booking starts stops `buffer` minutes earlier: a new booking
    needs its own tidying time before the next one. Time before `bookable_from` (past, or
    inside the minimum notice) is not free; windows shorter than `min_length` are not offered.
    Pooled equipment (capacity above 1) is free where a unit is left; its windows change where
    the number of units left changes.
    """
    edges = {bookable_from}
    for interval in opening:
        edges.update(interval[:2])
    for interval in closures:
        edges.update(interval[:2])
    for interval in missing:
        edges.update(interval[:2])
    for start, until, _quantity in busy:
        edges.update((start, until))
    points = sorted([e for e in edges if 0 <= e <= 1440])
    found: list[list] = []  # [start, end, available], made Windows at the end
    for x, y in zip(points, points[1:], strict=False):
        if x < bookable_from or not _inside(x, opening):
            continue
        if (closures and _inside(x, closures)) or (missing and _inside(x, missing)):
            continue
        left = capacity
        for start, until, quantity in busy:
            if start <= x < until:
                left -= quantity
        if left <= 0:
            continue
        available = left if capacity > 1 else None
        if found and found[-1][1] == x and found[-1][2] == available:
            found[-1][1] = y
        else:
            found.append([x, y, available])
    if capacity == 1 and buffer:
        starts = {start for start, _until, _q in busy}
        for window in found:
            if window[1] in starts:
                window[1] -= buffer
    return [
        Window(start, end, available)
        for start, end, available in found
        if end - start > 0 and end - start >= min_length
    ]


def enough(windows: Sequence[Window], needed: int) -> list[Window]:
    """Join the windows of pooled equipment that leave at least `needed` units, end to end."""
    joined: list[Window] = []
    for window in windows:
        if window.available is not None and window.available < needed:
            continue
        last = joined[-1] if joined else None
        if last is not None and last.end == window.start:
            least = None
            if last.available is not None and window.available is not None:
                least = min(last.available, window.available)
            joined[-1] = Window(last.start, window.end, least)
        else:
            joined.append(window)
    return joined


def fitting(
    windows: Sequence[Window], earliest: int, latest: int, duration: int, step: int = 1
) -> list[Window]:
    """The parts of the windows inside [earliest, latest) that hold `duration` minutes.

    A part starts on the resource's booking grid (a multiple of `step` minutes).
    """
    step = max(step, 1)
    found = []
    for window in windows:
        start = max(window.start, earliest)
        start = -(-start // step) * step
        end = min(window.end, latest)
        if end - start >= duration:
            found.append(Window(start, end, window.available))
    return found


__all__ = ["Window", "enough", "fitting", "free_windows"]
