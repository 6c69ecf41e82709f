"""Finding a free slot: which resources have the time asked for, on which days (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pole.bookings.rules.windows import Window, enough, fitting


@dataclass(frozen=True, slots=True)
class Candidate:
    """A resource on a day, with its free windows and what it can hold."""

    key: Any
    day: date
    windows: Sequence[Window]
    is_room: bool = True
    seats: int | None = None  # people a room holds (None: not said)
    step: int = 15  # booking grid, minutes
    longest: int = 1440  # longest booking allowed, minutes


@dataclass(frozen=True, slots=True)
class Found:
    """A free stretch that holds the duration asked: book from `start` to `start + duration`."""

    key: Any
    day: date
    start: int
    end: int
    available: int | None = None


def holds(candidate: Candidate, people: int | None) -> bool:
    """A room for a group holds at least that many people; equipment is not a room for people."""
    if not people:
        return True
    return candidate.is_room and candidate.seats is not None and candidate.seats >= people


def find_times(
    candidates: Sequence[Candidate],
    earliest: int,
    latest: int,
    duration: int,
    people: int | None = None,
    units: int = 1,
) -> list[Found]:
    """Every free stretch of `duration` minutes between earliest and latest, day by day.

    Only resources that hold the people asked for, allow a booking that long and, for pooled
    equipment, have `units` left the whole time. In day order, then by start, then as given.
    """
    found = []
    for order, candidate in enumerate(candidates):
        if not holds(candidate, people) or duration > candidate.longest:
            continue
        windows = candidate.windows if candidate.is_room else enough(candidate.windows, units)
        for window in fitting(windows, earliest, latest, duration, candidate.step):
            found.append(
                (
                    candidate.day,
                    window.start,
                    order,
                    Found(candidate.key, candidate.day, window.start, window.end, window.available),
                )
            )
    found.sort(key=lambda item: item[:3])
    return [item[3] for item in found]


__all__ = ["Candidate", "Found", "find_times", "holds"]
