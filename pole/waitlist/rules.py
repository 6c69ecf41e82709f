"""The waiting list's rules: pure, `now` passed in."""

from __future__ import annotations

from datetime import datetime, timedelta

from pole.core.refusals import Reason

# How long the person told has to book before the next one is told (the default of
# POLE_WAITLIST_ANSWER_MINUTES).
ANSWER_DELAY = timedelta(hours=2)
# A person waits for a few times at once, not for the whole season.
MAX_OPEN_WISHES = 10


def check_wish(start: datetime, end: datetime, open_wishes: int, now: datetime) -> list[Reason]:
    """One may wait for a time to come, that ends after it starts, ten times at once at most."""
    reasons = []
    if end <= start:
        reasons.append(Reason("order", "end", "La fin doit venir après le début."))
    elif end <= now:
        reasons.append(Reason("past", "start", "Ce créneau est déjà passé."))
    if open_wishes >= MAX_OPEN_WISHES:
        reasons.append(
            Reason(
                "too_many",
                "",
                f"Vous attendez déjà {MAX_OPEN_WISHES} créneaux : retirez-en un d'abord.",
            )
        )
    return reasons


def answer_by(told_at: datetime, delay: timedelta) -> datetime:
    """Once told, a person has `delay` to book before the next person waiting is told."""
    return told_at + delay


def has_passed(end: datetime, now: datetime) -> bool:
    """A wish ends by itself once its time is over."""
    return end <= now


def meets(start: datetime, end: datetime, freed_start: datetime, freed_end: datetime) -> bool:
    """Whether the freed time touches the wished one (half-open: touching is not meeting)."""
    return start < freed_end and freed_start < end
