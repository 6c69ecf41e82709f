"""Rooms that fit the people: the capacity rule (pure)."""

from __future__ import annotations

from pole.core.refusals import Reason


def fits(capacity: int | None, expected_people: int | None) -> bool:
    """A room takes the people expected when nobody is announced, or no more than its capacity."""
    return expected_people is None or capacity is None or expected_people <= capacity


def capacity_reason(name: str, capacity: int | None, expected_people: int | None) -> Reason | None:
    """Above a room's capacity (a fire-safety limit) the booking is refused, saying it."""
    if fits(capacity, expected_people):
        return None
    return Reason(
        "capacity",
        "expected_people",
        f"{name} accueille {capacity} personne{'s' if capacity > 1 else ''} au plus "
        f"(vous en attendez {expected_people}).",
    )
