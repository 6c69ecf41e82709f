"""What the public page says of the building, pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pole.formatting import WEEKDAYS, format_hhmm


def building_hours(rooms: Iterable[Mapping[str, Iterable]]) -> list[tuple[str, str]]:
    """The building is open when one of its rooms is: per weekday, the union of their hours,
    as ('lundi', '08:00 – 12:00, 14:00 – 19:00') or ('dimanche', 'fermé')."""
    days: list[tuple[str, str]] = []
    rooms = list(rooms)
    for weekday in range(7):
        intervals = sorted((a, b) for hours in rooms for a, b in hours.get(str(weekday), ()))
        merged: list[list[int]] = []
        for a, b in intervals:
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        text = ", ".join(f"{format_hhmm(a)} – {format_hhmm(b)}" for a, b in merged) or "fermé"
        days.append((WEEKDAYS[weekday], text))
    return days


def can_edit_presentation(user: object, organisation: object) -> bool:
    """An organisation's coordinator, and the building manager, write its public presentation."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_manager) or user.role_in(organisation.id) == "coordinator"


def can_choose_who_appears(user: object) -> bool:
    """The building manager decides which organisations the public page shows."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_manager)
