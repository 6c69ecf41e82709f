"""Free times to offer when the wished one is taken."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from pole.bookings.rules.check import check_booking
from pole.bookings.rules.policy import BookingRequest, ClosurePeriod, Occupation, Policy
from pole.timeutil import NonexistentLocalTime, combine_minutes


def suggest_free_times(
    policy: Policy,
    occupied: Sequence[Occupation],
    closures: Sequence[ClosurePeriod],
    day: date,
    duration: timedelta,
    quantity: int,
    around: datetime,
    now: datetime,
    org_kind: str,
    limit: int = 3,
) -> list[tuple[datetime, datetime]]:
    """The free slots of that day nearest to the wished time, each bookable as it stands.

    The day's starts are tried nearest first, and the search stops at `limit` found: each
    try is a whole rules check, and the nearest ones are the answer anyway.
    """
    if limit <= 0 or duration <= timedelta(0):
        return []
    step = max(policy.granularity, 1)
    starts: set[datetime] = set()
    for open_min, close_min in policy.opening_hours.get(day.weekday(), ()):
        first = -(-open_min // step) * step
        for minutes in range(first, close_min, step):
            try:
                starts.add(combine_minutes(day, minutes, policy.tz))
            except NonexistentLocalTime:
                continue
    found: list[tuple[datetime, datetime]] = []
    for start in sorted(starts, key=lambda start: (abs(start - around), start)):
        req = BookingRequest(
            start=start,
            end=start + duration,
            quantity=quantity,
            organisation_kind=org_kind,
            is_member=True,
            is_manager=True,
        )
        if not check_booking(req, policy, occupied, closures, now):
            found.append((req.start, req.end))
            if len(found) == limit:
                break
    return found


def nearest_fit(capacity: int | None, position: int, people: int | None) -> tuple[int, int, int]:
    """Another room is offered first when its size is closest to the people expected."""
    if capacity is None:
        return (1, 0, position)
    return (0, capacity - (people or 0), position)
