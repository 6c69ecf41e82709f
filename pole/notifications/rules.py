"""Who is told of what happened, and which mail carries it: pure, table-tested.

A `Happening` is the little an event needs to decide: its kind, who did it, who made the
booking, whose booking it is, and what groups it (a series made or changed together, a
closure settled for an association). `plan` turns the happenings of one transaction into
`Letter`s: one mail per recipient group, never one per occurrence of a series.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MADE = "made"  # to the author: date, room, practical information, .ics REQUEST
CHANGED = "changed"  # to the author and coordinators: moved, edited, cancelled by someone else
WAITING = "waiting"  # to the managers: a request waits for approval
CLOSURE = "closure"  # to an association: its bookings a closure cancelled or kept
APPOINTMENT = "appointment"  # to the social worker and the association


@dataclass(frozen=True)
class Happening:
    kind: str
    actor_id: int | None
    author_id: int | None = None
    organisation_id: int | None = None
    status: str = ""
    booking_id: int | None = None
    subject_type: str | None = None
    subject_id: int | None = None
    social_worker_id: int | None = None
    message: str = ""


@dataclass
class Letter:
    """One mail to write: what about, for which bookings (or appointment), to whom."""

    topic: str
    key: tuple
    actor_id: int | None
    organisation_id: int | None = None
    kinds: list[str] = field(default_factory=list)
    booking_ids: list[int] = field(default_factory=list)
    appointment_id: int | None = None
    to_users: set[int] = field(default_factory=set)  # people, by id
    to_coordinators: bool = False  # and the organisation's coordinators
    to_managers: bool = False
    social_worker_id: int | None = None
    message: str = ""


def _letters_for(h: Happening) -> list[tuple[str, tuple, dict]]:
    """The letters one happening belongs to: (topic, grouping key, recipients)."""
    in_series = h.subject_type == "series"
    if h.kind == "booking.created":
        # A series is told once: its occurrences gather in one letter by the series.
        key = ("series", h.subject_id) if in_series else ("booking", h.booking_id)
        letters = [(MADE, key, {"users": {h.actor_id}})]
        if h.status == "pending":
            letters.append((WAITING, key, {"managers": True}))
        return letters
    if h.subject_type == "closure" and h.kind in ("booking.cancelled", "closure.booking_kept"):
        key = ("closure", h.subject_id, h.organisation_id)
        return [(CLOSURE, key, {"users": {h.author_id}, "coordinators": True})]
    if h.kind in ("booking.moved", "booking.edited", "booking.cancelled"):
        if h.actor_id is not None and h.actor_id == h.author_id:
            return []  # nobody is told of their own change
        key = (h.kind, "series", h.subject_id) if in_series else (h.kind, h.booking_id)
        return [(CHANGED, key, {"users": {h.author_id}, "coordinators": True})]
    if h.kind == "appointment.booked" or (
        h.kind == "appointment.cancelled"
        and h.actor_id is not None
        and h.actor_id != h.social_worker_id
    ):
        # When the social worker (or a change of the permanence) cancels, the association
        # is already told by the permanence's own mail.
        key = (h.kind, h.subject_id)
        return [(APPOINTMENT, key, {"users": {h.social_worker_id}, "coordinators": True})]
    return []


def plan(happenings: list[Happening]) -> list[Letter]:
    """The letters of one transaction's happenings, in order, grouped by their key."""
    letters: dict[tuple, Letter] = {}
    for h in happenings:
        for topic, key, to in _letters_for(h):
            letter = letters.get((topic, *key))
            if letter is None:
                letter = letters[(topic, *key)] = Letter(
                    topic, key, h.actor_id, h.organisation_id, social_worker_id=h.social_worker_id
                )
            letter.kinds.append(h.kind)
            letter.message = letter.message or h.message
            if h.booking_id is not None and h.booking_id not in letter.booking_ids:
                letter.booking_ids.append(h.booking_id)
            if h.subject_type == "appointment":
                letter.appointment_id = h.subject_id
            letter.to_users |= {u for u in to.get("users", ()) if u is not None}
            letter.to_coordinators |= to.get("coordinators", False)
            letter.to_managers |= to.get("managers", False)
    return list(letters.values())


def recipients(
    letter: Letter, coordinators: set[int], managers: set[int], active: set[int]
) -> set[int]:
    """Whom a letter goes to: its people, coordinators, managers; never the actor for a
    change (the author of a new booking is its actor and is told), only active people."""
    people = set(letter.to_users)
    if letter.to_coordinators:
        people |= coordinators
    if letter.to_managers:
        people |= managers
    if letter.topic != MADE:
        people.discard(letter.actor_id)
    return people & active
